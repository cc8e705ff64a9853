// Command etcd is the etcd server built from go.etcd.io/etcd/server/v3 at
// the version k8s.io/kubernetes v1.34.3 uses. etcd's own main package lives in
// its root module; etcdmain.Main is the same entry point.
package main

import (
	"os"

	"go.etcd.io/etcd/server/v3/etcdmain"
)

func main() {
	etcdmain.Main(os.Args)
}

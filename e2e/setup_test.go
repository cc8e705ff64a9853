package e2e

import (
	"context"
	"testing"
)

// gatewaysKServe are the Gateways a scenario that runs every layer needs:
// llm-d's own and the one KServe's ingress config names.
var gatewaysKServe = [][2]string{{"llm-d", "llm-d-gateway"}, {KServeNamespace, "kserve-ingress-gateway"}}

// setUp gives a scenario its node pool and Gateways (namespace, name), and
// runs the gateway stand-in, until the test ends.
func setUp(ctx context.Context, t *testing.T, pool NodePool, gateways ...[2]string) {
	t.Helper()
	if err := cluster.AddNodes(ctx, pool); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cluster.DeleteNodes(context.Background(), pool) })
	for _, gw := range gateways {
		if err := cluster.Gateway(ctx, gw[0], gw[1]); err != nil {
			t.Fatal(err)
		}
	}
	t.Cleanup(cluster.RunGatewayStandIn(ctx, t.Logf))
}

package e2e

import (
	"context"
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/tools/cache"
	watchtools "k8s.io/client-go/tools/watch"
)

// Watched is one object a Timeline watches. Layer, on a model's workload or
// Service, is the layer it serves.
type Watched struct {
	GVK             schema.GroupVersionKind
	Namespace, Name string
	Layer           string
}

func (w Watched) String() string { return fmt.Sprintf("%s %s/%s", w.GVK.Kind, w.Namespace, w.Name) }

// Event is one observed change of a watched object.
type Event struct {
	// RV is the object's resourceVersion at the change: this apiserver's
	// single etcd revision, so it orders events across objects and kinds
	// (arrival order across watches would not).
	RV     uint64
	At     time.Time
	Object Watched
	// State is what the object says at this point: "Ready", "not Ready
	// (...)", "deleting", "deleted", "api_base <url>", "operation
	// <phase>: <message>".
	State string
	// For the analysis: the workload's readiness, the LiteLLM entry's
	// api_base, the object being deleted or gone.
	Ready    bool
	APIBase  string
	Deleting bool
	Gone     bool
}

// Timeline records the changes of a set of objects, each summarized by
// kind, and only when the summary changes.
type Timeline struct {
	start  time.Time
	mu     sync.Mutex
	events []Event
	last   map[string]string
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

// WatchTimeline starts watching objs (each by name; it may not exist yet).
// Stop it with Stop.
func (c *Cluster) WatchTimeline(ctx context.Context, objs []Watched) (*Timeline, error) {
	ctx, cancel := context.WithCancel(ctx)
	tl := &Timeline{start: time.Now(), last: map[string]string{}, cancel: cancel}
	for _, w := range objs {
		ri, err := c.resource(w.GVK, w.Namespace)
		if err != nil {
			cancel()
			return nil, err
		}
		sel := fields.OneTermEqualSelector("metadata.name", w.Name).String()
		list, err := ri.List(ctx, metav1.ListOptions{FieldSelector: sel})
		if err != nil {
			cancel()
			return nil, fmt.Errorf("list %s: %w", w, err)
		}
		for i := range list.Items {
			tl.record(w, watch.Added, &list.Items[i])
		}
		rw, err := watchtools.NewRetryWatcherWithContext(ctx, list.GetResourceVersion(), &cache.ListWatch{
			WatchFuncWithContext: func(ctx context.Context, o metav1.ListOptions) (watch.Interface, error) {
				o.FieldSelector = sel
				return ri.Watch(ctx, o)
			},
		})
		if err != nil {
			cancel()
			return nil, err
		}
		tl.wg.Add(1)
		go func() {
			defer tl.wg.Done()
			defer rw.Stop()
			for {
				select {
				case <-ctx.Done():
					return
				case ev, ok := <-rw.ResultChan():
					if !ok {
						return
					}
					u, ok := ev.Object.(*unstructured.Unstructured)
					if !ok {
						continue
					}
					tl.record(w, ev.Type, u)
				}
			}
		}()
	}
	return tl, nil
}

// Stop stops the watches.
func (tl *Timeline) Stop() {
	tl.cancel()
	tl.wg.Wait()
}

func (tl *Timeline) record(w Watched, typ watch.EventType, u *unstructured.Unstructured) {
	rv, _ := strconv.ParseUint(u.GetResourceVersion(), 10, 64)
	e := Event{RV: rv, At: time.Now(), Object: w}
	switch {
	case typ == watch.Deleted:
		e.State, e.Gone = "deleted", true
	case u.GetDeletionTimestamp() != nil:
		e.State, e.Deleting = "deleting", true
	case w.GVK.Kind == "ConfigMap":
		e.APIBase = apiBase(u)
		e.State = "api_base " + e.APIBase
	case w.GVK == ApplicationGVK:
		e.State = appSummary(u)
	case w.GVK.Kind == "Service":
		e.State = "exists"
	default:
		e.Ready, e.State = workloadReady(u)
	}
	tl.mu.Lock()
	defer tl.mu.Unlock()
	key := w.String()
	if tl.last[key] == e.State {
		return
	}
	tl.last[key] = e.State
	tl.events = append(tl.events, e)
}

// Events returns the events so far, in resourceVersion order.
func (tl *Timeline) Events() []Event {
	tl.mu.Lock()
	out := append([]Event(nil), tl.events...)
	tl.mu.Unlock()
	sort.SliceStable(out, func(i, j int) bool { return out[i].RV < out[j].RV })
	return out
}

// Since returns the events after resourceVersion rv.
func (tl *Timeline) Since(rv uint64) []Event {
	var out []Event
	for _, e := range tl.Events() {
		if e.RV > rv {
			out = append(out, e)
		}
	}
	return out
}

// Format prints events one a line: time since the timeline started,
// resourceVersion, object, state.
func (tl *Timeline) Format(events []Event) string {
	var b strings.Builder
	for _, e := range events {
		fmt.Fprintf(&b, "  %8s  %s  rv=%d  %-45s %s\n", e.At.Sub(tl.start).Round(10*time.Millisecond),
			e.At.UTC().Format("15:04:05.000"), e.RV, e.Object, e.State)
	}
	return b.String()
}

var apiBaseRE = regexp.MustCompile(`api_base:\s*"?([^"\s]+)`)

// apiBase is the api_base of the (one) model_list entry of a LiteLLM
// ConfigMap.
func apiBase(u *unstructured.Unstructured) string {
	data, _, _ := unstructured.NestedStringMap(u.Object, "data")
	var keys []string
	for k := range data {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if m := apiBaseRE.FindStringSubmatch(data[k]); m != nil {
			return m[1]
		}
	}
	return ""
}

// workloadReady is the readiness WaitReady waits for, from one observed
// object: a Deployment Available with every replica ready (of its current
// generation); an InferenceService or LLMInferenceService Ready.
func workloadReady(u *unstructured.Unstructured) (bool, string) {
	conds, _, _ := unstructured.NestedSlice(u.Object, "status", "conditions")
	if u.GetKind() == "Deployment" {
		want, ok, _ := unstructured.NestedInt64(u.Object, "spec", "replicas")
		if !ok {
			want = 1
		}
		ready, _, _ := unstructured.NestedInt64(u.Object, "status", "readyReplicas")
		observed, _, _ := unstructured.NestedInt64(u.Object, "status", "observedGeneration")
		if conditionTrue(conds, "Available") && ready == want && observed >= u.GetGeneration() {
			return true, "Ready"
		}
		return false, fmt.Sprintf("not Ready (%d/%d ready)", ready, want)
	}
	// The other conditions not True, so that a change of any shows.
	var others []string
	for _, c := range conds {
		m, _ := c.(map[string]interface{})
		if m["type"] != "Ready" && m["status"] != "True" {
			others = append(others, fmt.Sprintf("%v=%v", m["type"], m["status"]))
		}
	}
	rest := ""
	if len(others) > 0 {
		rest = "; " + strings.Join(others, " ")
	}
	if conditionTrue(conds, "Ready") {
		return true, "Ready" + rest
	}
	r := conditionReason(conds, "Ready")
	if r == "" {
		r = conditionStatus(conds, "Ready")
	}
	if r == "" {
		return false, "not Ready" + rest
	}
	return false, "not Ready (" + r + ")" + rest
}

// appSummary is an Application's operation phase and message, with its
// sync and health status.
func appSummary(u *unstructured.Unstructured) string {
	phase, _, _ := unstructured.NestedString(u.Object, "status", "operationState", "phase")
	msg, _, _ := unstructured.NestedString(u.Object, "status", "operationState", "message")
	syncSt, _, _ := unstructured.NestedString(u.Object, "status", "sync", "status")
	health, _, _ := unstructured.NestedString(u.Object, "status", "health", "status")
	if len(msg) > 120 {
		msg = msg[:120] + "..."
	}
	// The operation field stays while the operation runs; an earlier
	// operation's state stays until a new one starts.
	if _, pending, _ := unstructured.NestedMap(u.Object, "operation"); pending && phase != "Running" {
		return fmt.Sprintf("operation requested; sync %s, health %s", syncSt, health)
	}
	if phase == "" {
		return fmt.Sprintf("sync %s, health %s", syncSt, health)
	}
	return fmt.Sprintf("operation %s: %s; sync %s, health %s", phase, msg, syncSt, health)
}

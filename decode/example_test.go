package decode_test

import (
	"fmt"

	"github.com/servelayer/servelayer/decode"
)

// Decoding is strict: a value of the wrong type, or a misspelt field, is
// reported at its field path, list indices included, with the value as
// written. Defaults and validation are package schema's business.
func ExampleServedModelYAML() {
	_, errs := decode.ServedModelYAML([]byte(`apiVersion: servelayer.dev/v1alpha1
kind: ServedModel
metadata: {name: qwen}
spec:
  model: {name: Qwen/Qwen2.5-0.5B-Instruct}
  engine:
    env:
    - {name: VLLM_LOGGING_LEVEL, value: DEBUG}
    - {name: 7, value: x}
`))
	for _, e := range errs {
		fmt.Println(e)
	}

	_, errs = decode.ServedModelYAML([]byte(`apiVersion: servelayer.dev/v1alpha1
kind: ServedModel
metadata: {name: qwen}
spec:
  model: {name: Qwen/Qwen2.5-0.5B-Instruct}
  replica: 2
`))
	for _, e := range errs {
		fmt.Println(e)
	}

	m, errs := decode.ServedModelYAML([]byte(`apiVersion: servelayer.dev/v1alpha1
kind: ServedModel
metadata: {name: qwen}
spec:
  model: {name: Qwen/Qwen2.5-0.5B-Instruct}
`))
	fmt.Println(m.Name, m.Spec.Model.Name, len(errs))
	// Output:
	// spec.engine.env[1].name: Invalid value: 7: must be of type string
	// spec.replica: Invalid value: "replica": unknown field (`servelayer schema` lists the fields this kind accepts)
	// qwen Qwen/Qwen2.5-0.5B-Instruct 0
}

// YAML that JSON cannot hold is refused at its field path before any
// decoding: here a duplicate key and a number JSON has no spelling for.
// Merge keys are resolved as Kubernetes resolves them.
func ExampleYAMLToJSON() {
	_, errs := decode.YAMLToJSON([]byte("spec:\n  resources: {gpus: 1, gpus: 2, cpu: .inf}\n"))
	for _, e := range errs {
		fmt.Println(e)
	}
	j, _ := decode.YAMLToJSON([]byte("base: &b {cpu: \"4\"}\nspec:\n  resources: {<<: *b, gpus: 1}\n"))
	fmt.Println(string(j))
	// Output:
	// spec.resources.gpus: Duplicate value: "gpus"
	// spec.resources.cpu: Invalid value: ".inf": must be a finite number
	// {"base":{"cpu":"4"},"spec":{"resources":{"gpus":1,"cpu":"4"}}}
}

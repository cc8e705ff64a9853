package schema

import (
	"bytes"
	"encoding/json"
	"reflect"

	"k8s.io/apimachinery/pkg/api/resource"
)

// Quantity is a Kubernetes resource quantity such as 4, 500m or 16Gi.
//
// It is kept as the user wrote it, YAML numbers included, and parsed in
// validation, so a bad value is reported with its field path instead of
// failing the whole decode.
//
// +kubebuilder:validation:XIntOrString
// +kubebuilder:validation:Type=""
// +kubebuilder:validation:Pattern=`^(\+|-)?(([0-9]+(\.[0-9]*)?)|(\.[0-9]+))(([KMGTPE]i)|[numkMGTPE]|([eE](\+|-)?(([0-9]+(\.[0-9]*)?)|(\.[0-9]+))))?$`
type Quantity string

// UnmarshalJSON accepts a JSON string or number. Anything else is an
// *json.UnmarshalTypeError, so the decoder adds the field path to it.
func (q *Quantity) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if len(b) > 0 && b[0] == '"' {
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*q = Quantity(s)
		return nil
	}
	if bytes.Equal(b, []byte("null")) {
		*q = ""
		return nil
	}
	var n json.Number
	if err := json.Unmarshal(b, &n); err != nil {
		return &json.UnmarshalTypeError{Value: string(b), Type: reflect.TypeFor[Quantity]()}
	}
	*q = Quantity(n.String())
	return nil
}

// Parse parses the quantity.
func (q Quantity) Parse() (resource.Quantity, error) {
	return resource.ParseQuantity(string(q))
}

// IsSet reports whether a value was given.
func (q Quantity) IsSet() bool { return q != "" }

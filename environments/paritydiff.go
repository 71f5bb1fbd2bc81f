package environments

import (
	"fmt"
	"reflect"
)

// FieldDiff is one field where a parity environment differs from the
// reference.
type FieldDiff struct {
	// Field is the Go path, e.g. "Odoo.InstanceType".
	Field string
	// Got is the parity environment's value, Want the reference's.
	Got, Want string
}

// ParityDiff lists every field outside Identity, Kind and Scale where env
// differs from ref. It is empty for every environment made by Derive.
func ParityDiff(ref, env ParityConfig) []FieldDiff {
	var out []FieldDiff
	rt := reflect.TypeOf(ref)
	rv, ev := reflect.ValueOf(ref), reflect.ValueOf(env)
	for i := 0; i < rt.NumField(); i++ {
		switch rt.Field(i).Name {
		case "Identity", "Kind", "Scale":
			continue
		}
		diffValues(rt.Field(i).Name, rv.Field(i), ev.Field(i), &out)
	}
	return out
}

func diffValues(path string, want, got reflect.Value, out *[]FieldDiff) {
	switch want.Kind() {
	case reflect.Struct:
		for i := 0; i < want.NumField(); i++ {
			diffValues(path+"."+want.Type().Field(i).Name, want.Field(i), got.Field(i), out)
		}
	case reflect.Slice, reflect.Map:
		if !reflect.DeepEqual(want.Interface(), got.Interface()) {
			*out = append(*out, FieldDiff{Field: path, Got: fmt.Sprint(got.Interface()), Want: fmt.Sprint(want.Interface())})
		}
	default:
		if want.Interface() != got.Interface() {
			*out = append(*out, FieldDiff{Field: path, Got: fmt.Sprintf("%v", got.Interface()), Want: fmt.Sprintf("%v", want.Interface())})
		}
	}
}

package rpc

import (
	"strings"
	"testing"

	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/reflect/protoreflect"

	registryv1 "github.com/hangzhou-ai/registry/rpc/gen/registry/v1"
)

// FuzzJSONCodecUnknownFields checks the strict codec against protojson on
// arbitrary bodies for a request with nested, repeated, enum and timestamp
// fields: it accepts exactly what strict protojson accepts, and whenever
// lenient protojson (unknown names dropped) would have accepted what the
// codec refuses, the refusal names at least one field, each a path in the
// request that the message does not have or whose enum value is unknown.
func FuzzJSONCodecUnknownFields(f *testing.F) {
	for _, seed := range []string{
		`{}`,
		`{"competitionId":"c","awards":[{"name":"a","prise":"x"}]}`,
		`{"competition_id":"c","awards":[{"name":"a"},{"team":"t","extra":{"a":[1,{"b":2}]}}]}`,
		`{"awards":null,"x":null}`,
		`{"awards":[null,{"prize":1}]}`,
		`{"awards":{"name":"a"}}`,
		`{"[ext]":1}`,
		`{"competitionId":"c","competitionId":"d"}`,
		`{"awards":[{"name":"\u00e9","id_number":"1"}],"y":`,
	} {
		f.Add(seed)
	}
	strict := protojson.UnmarshalOptions{}
	lenient := protojson.UnmarshalOptions{DiscardUnknown: true}
	codec := newJSONCodec()
	md := (&registryv1.RecordAwardsRequest{}).ProtoReflect().Descriptor()
	f.Fuzz(func(t *testing.T, body string) {
		strictErr := strict.Unmarshal([]byte(body), &registryv1.RecordAwardsRequest{})
		codecErr := codec.UnmarshalRead(t.Context(), strings.NewReader(body), &registryv1.RecordAwardsRequest{})
		if (strictErr == nil) != (codecErr == nil) {
			t.Fatalf("protojson says %v, the codec %v", strictErr, codecErr)
		}
		if strictErr == nil || lenient.Unmarshal([]byte(body), &registryv1.RecordAwardsRequest{}) != nil {
			return
		}
		found := unknownNames([]byte(body), md)
		if len(found) == 0 {
			t.Fatalf("lenient protojson accepts %q, strict refuses it (%v), and no unknown name is found", body, strictErr)
		}
		for _, v := range found {
			if v.Field == "" || len(v.Field) > 4*maxReportedFieldBytes+64 {
				t.Errorf("reported field %q", v.Field)
			}
		}
	})
}

// TestUnknownNamesPaths pins the paths the codec reports.
func TestUnknownNamesPaths(t *testing.T) {
	cases := []struct {
		name string
		md   protoreflect.MessageDescriptor
		body string
		want []string
	}{
		{"top level", (&registryv1.ListDesignationsRequest{}).ProtoReflect().Descriptor(), `{"enterprise":"x","type":"a"}`, []string{"enterprise"}},
		{"proto name is a field", (&registryv1.ListDesignationsRequest{}).ProtoReflect().Descriptor(), `{"page_size":1,"pageToken":"t","pagesize":2}`, []string{"pagesize"}},
		{"list element", (&registryv1.RecordAwardsRequest{}).ProtoReflect().Descriptor(), `{"awards":[{"name":"a"},{"prise":"b","team":"t"}]}`, []string{"awards[1].prise"}},
		{"enum", (&registryv1.ListDesignationsRequest{}).ProtoReflect().Descriptor(), `{"status":"ACTIVE","asOf":"2026-01-01"}`, []string{"status"}},
		{"enum by number is known", (&registryv1.ListDesignationsRequest{}).ProtoReflect().Descriptor(), `{"status":1,"x":{"y":[1,2]}}`, []string{"x"}},
		{"unknown value skipped whole", (&registryv1.ListDesignationsRequest{}).ProtoReflect().Descriptor(), `{"x":{"type":1,"z":[{"q":1}]},"y":2}`, []string{"x", "y"}},
		{"stops at broken JSON", (&registryv1.ListDesignationsRequest{}).ProtoReflect().Descriptor(), `{"x":1,"y":,"z":1}`, []string{"x", "y"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var got []string
			for _, v := range unknownNames([]byte(tc.body), tc.md) {
				got = append(got, v.Field)
			}
			if strings.Join(got, "|") != strings.Join(tc.want, "|") {
				t.Errorf("unknownNames(%s) = %q, want %q", tc.body, got, tc.want)
			}
		})
	}
}

package web

import (
	"errors"
	"net/http"
	"testing"

	"go.uber.org/zap"

	"github.com/hangzhou-ai/registry/registry"
)

func TestFieldLabel(t *testing.T) {
	for _, tc := range []struct {
		field  string
		wantZh string
	}{
		{"credit_code", "统一社会信用代码"},
		{"awards[1].prize", "奖项"},
		{"quotas[0].places", "名额数"},
		{"no_such_field", "no_such_field"},
	} {
		t.Run(tc.field, func(t *testing.T) {
			if got := fieldLabel(tc.field); got.Zh != tc.wantZh {
				t.Errorf("fieldLabel(%q) = %q, want %q", tc.field, got.Zh, tc.wantZh)
			}
		})
	}
}

func TestReasonText(t *testing.T) {
	for _, tc := range []struct {
		description, wantZh string
	}{
		{"is required", "必填"},
		{"is not a valid unified social credit code: check character should be 'J'", "不是有效的统一社会信用代码：check character should be 'J'"},
		{"is not a valid unified social credit code", "不是有效的统一社会信用代码"},
		{"something the console has no words for", "something the console has no words for"},
	} {
		t.Run(tc.description, func(t *testing.T) {
			got := reasonText(tc.description)
			if got.Zh != tc.wantZh || got.En != tc.description {
				t.Errorf("reasonText(%q) = %+v, want zh %q", tc.description, got, tc.wantZh)
			}
		})
	}
}

// TestProblemOf checks each registry kind gets its status and headline,
// field violations keep their field, and anything else is a bare internal
// error that says nothing of its cause.
func TestProblemOf(t *testing.T) {
	log := zap.NewNop()
	for _, tc := range []struct {
		name       string
		err        error
		wantStatus int
	}{
		{"invalid", &registry.Error{Kind: registry.KindInvalidArgument, Message: "invalid request", Violations: []registry.FieldViolation{{Field: "credit_code", Description: "is required"}}}, http.StatusBadRequest},
		{"denied", &registry.Error{Kind: registry.KindPermissionDenied, Message: "no"}, http.StatusForbidden},
		{"not found", &registry.Error{Kind: registry.KindNotFound, Message: "gone"}, http.StatusNotFound},
		{"quota", &registry.Error{Kind: registry.KindResourceExhausted, Message: "full"}, http.StatusTooManyRequests},
		{"sql", errors.New(`pq: duplicate key value violates unique constraint "x"`), http.StatusInternalServerError},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := problemOf(log, tc.err)
			if p.Status != tc.wantStatus || p.Headline.Zh == "" || p.Headline.En == "" {
				t.Fatalf("%+v", p)
			}
			if tc.wantStatus == http.StatusInternalServerError && (p.Message != "" || len(p.Fields) != 0) {
				t.Errorf("an internal error shows %q", p.Message)
			}
			if tc.name == "invalid" && (len(p.Fields) != 1 || p.Fields[0].Field != "credit_code" || p.Fields[0].Reason.Zh != "必填") {
				t.Errorf("fields %+v", p.Fields)
			}
		})
	}
}

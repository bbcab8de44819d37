package errs

import (
	"errors"
	"strings"
	"testing"
)

func TestForeignErrorsBecomeInternalWithoutTheirText(t *testing.T) {
	cause := errors.New("pq: relation secret_table; value Jane Doe")
	e := As(cause)
	if e.Code != Internal || e.Key != "error.internal" {
		t.Fatalf("As(foreign) = %+v", e)
	}
	if strings.Contains(e.Key, "Jane") || e.Field != "" {
		t.Fatal("the cause leaked into what a client sees")
	}
	if !errors.Is(e, cause) {
		t.Fatal("the cause is not kept for the log")
	}
}

func TestCodesSurviveWrapping(t *testing.T) {
	err := Field("date_of_birth", "field.required")
	wrapped := errors.Join(errors.New("context"), err)
	if CodeOf(wrapped) != Invalid || As(wrapped).Field != "date_of_birth" {
		t.Fatalf("CodeOf(wrapped) = %s, field %q", CodeOf(wrapped), As(wrapped).Field)
	}
	if CodeOf(nil) != "" {
		t.Fatal("nil has a code")
	}
}

func TestCollectKeepsEveryFieldError(t *testing.T) {
	err := Collect(nil, Field("given_name", "field.required"), nil, Field("date_of_birth", "date.invalid"),
		Fields{Field("phone", "phone.invalid")})
	got := AllFields(err)
	if len(got) != 3 || got[0].Field != "given_name" || got[2].Field != "phone" {
		t.Fatalf("Collect kept %v", got)
	}
	if CodeOf(err) != Invalid || As(err).Field != "given_name" {
		t.Fatalf("CodeOf %s, As %+v", CodeOf(err), As(err))
	}
	if Collect(nil, nil) != nil {
		t.Fatal("no errors collected into a non-nil error")
	}
	boom := errors.New("database gone")
	if err := Collect(Field("a", "b"), boom); err != boom {
		t.Fatalf("a fault among field errors: %v", err)
	}
}

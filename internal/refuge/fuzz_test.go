package refuge_test

import (
	"net/url"
	"testing"

	"frontdoor/internal/errs"
	"frontdoor/internal/refuge"
)

func FuzzParseSearch(f *testing.F) {
	for _, s := range []string{
		"adults=1&child_age=14&child_boy=1&child_age=6&child_boy=0&service=women&area=Ashby",
		"adults=x&child_age=-1&language=%00",
		"client=0190f2a0-0000-7000-8000-0000000000a1&nrpf=on&pets=true&wheelchair=1",
		"",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		v, err := url.ParseQuery(raw)
		if err != nil {
			return
		}
		h, err := refuge.ParseSearch(v)
		if err != nil {
			if errs.CodeOf(err) != errs.Invalid || len(errs.AllFields(err)) == 0 {
				t.Fatalf("error not a field error: %v", err)
			}
			return
		}
		if h.Adults < 1 || h.Adults > 4 || len(h.Children) > 20 {
			t.Fatalf("accepted %+v", h)
		}
		for _, c := range h.Children {
			if c.Age < 0 || c.Age > 17 {
				t.Fatalf("accepted child %+v", c)
			}
		}
		if h.Service != "" && h.Service != refuge.Women && h.Service != refuge.Men {
			t.Fatalf("accepted service %q", h.Service)
		}
	})
}

func TestParseSearch(t *testing.T) {
	v, _ := url.ParseQuery("adults=1&child_age=14&child_boy=on&child_age=6&child_boy=&service=women&language=Polish&nrpf=on")
	h, err := refuge.ParseSearch(v)
	if err != nil || h.Adults != 1 || len(h.Children) != 2 || !h.Children[0].Boy || h.Children[1].Boy || h.Children[0].Age != 14 || !h.NRPF || h.Language != "Polish" {
		t.Fatalf("%+v %v", h, err)
	}
	v, _ = url.ParseQuery("adults=none&child_age=x&service=other")
	_, err = refuge.ParseSearch(v)
	if got := errs.AllFields(err); len(got) != 3 {
		t.Fatalf("fields %v", err)
	}
}

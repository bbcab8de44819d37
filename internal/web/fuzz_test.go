package web_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"frontdoor/internal/auth"
	"frontdoor/internal/i18n"
	"frontdoor/internal/store"
	"frontdoor/internal/store/storetest"
	"frontdoor/internal/vault/vaulttest"
	"frontdoor/internal/web"
)

// Whatever a browser (or an attacker) posts to the public forms, the answer
// is a page that says what is wrong, never a server error, and a bad setup
// creates nothing.
func FuzzPublicForms(f *testing.F) {
	db := storetest.Open(f, store.SQLite)
	a := auth.NewService(db, vaulttest.New(f, db), nil, time.Now)
	srv, err := web.New(web.Options{DB: db, Auth: a, Catalogue: i18n.MustLoad(), Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		f.Fatal(err)
	}
	h := srv.Handler()
	token, err := a.IssueSetupLink(context.Background(), "")
	if err != nil {
		f.Fatal(err)
	}
	f.Add("admin", "short", "short", "Org", "Name")
	f.Add("", "", "", "", "")
	f.Add("Ünïcode", strings.Repeat("p", 300), strings.Repeat("p", 300), "\x00", "<script>")
	f.Add("a", "twelve chars", "twelve chars", "O", "N")
	f.Fuzz(func(t *testing.T, username, password, confirm, org, name string) {
		form := url.Values{"username": {username}, "password": {password}, "confirm": {confirm}, "organisation": {org}, "name": {name}}
		for _, path := range []string{"/signin", "/setup/" + token} {
			req := httptest.NewRequest("POST", path, strings.NewReader(form.Encode()))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if rec.Code >= 500 {
				t.Fatalf("POST %s answered %d", path, rec.Code)
			}
			if rec.Code == http.StatusSeeOther && strings.HasPrefix(path, "/setup/") {
				// A setup that succeeded must have met every rule.
				if auth.CheckNewPassword("password", password, username) != nil || password != confirm || strings.TrimSpace(org) == "" {
					t.Fatalf("setup accepted password %q / %q, organisation %q", password, confirm, org)
				}
				token, _ = a.IssueSetupLink(context.Background(), "")
			}
		}
	})
}

package outreach

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/smtp"
	"strings"
	"time"
)

// Webhook posts each notice as JSON to a URL: an SMS gateway, a paging
// service. The body is signed with HMAC-SHA256 under the shared secret
// (header X-Frontdoor-Signature: sha256=<hex>) so the receiver can tell it
// came from this service.
type Webhook struct {
	URL    string
	Secret string
	Client *http.Client // nil: a client with a 10 s timeout
}

// Name is the channel's name in outreach_notifications.
func (w *Webhook) Name() string { return "webhook" }

// WebhookBody is what the webhook receives.
type WebhookBody struct {
	Event        string    `json:"event"` // "lone_working.overdue"
	EscalationID string    `json:"escalation_id"`
	DueAt        time.Time `json:"due_at"`
	Text         string    `json:"text"`
	Link         string    `json:"link"`
}

// Send posts the notice; anything but a 2xx answer is a failure.
func (w *Webhook) Send(ctx context.Context, n Notice) error {
	body, err := json.Marshal(WebhookBody{Event: "lone_working.overdue", EscalationID: n.EscalationID, DueAt: n.DueAt.UTC(), Text: n.Text(), Link: n.Link})
	if err != nil {
		return err
	}
	return postSigned(ctx, w.Client, w.URL, w.Secret, body, "webhook")
}

// postSigned posts a JSON body signed with HMAC-SHA256 under secret (when
// given); anything but a 2xx answer is a failure, named after what.
func postSigned(ctx context.Context, c *http.Client, url, secret string, body []byte, what string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	if secret != "" {
		mac := hmac.New(sha256.New, []byte(secret))
		mac.Write(body)
		req.Header.Set("X-Frontdoor-Signature", "sha256="+hex.EncodeToString(mac.Sum(nil)))
	}
	if c == nil {
		c = &http.Client{Timeout: 10 * time.Second}
	}
	resp, err := c.Do(req)
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	resp.Body.Close()
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return fmt.Errorf("%s answered %d", what, resp.StatusCode)
	}
	return nil
}

// Email sends each notice by SMTP to the duty managers' shared address.
type Email struct {
	Addr     string // host:port of the SMTP server
	From     string
	To       []string
	Username string // with Password: PLAIN auth (the server must offer TLS)
	Password string
}

// Name is the channel's name in outreach_notifications.
func (e *Email) Name() string { return "email" }

// Send sends the notice as a short plain-text email.
func (e *Email) Send(ctx context.Context, n Notice) error {
	var auth smtp.Auth
	if e.Username != "" {
		host, _, _ := strings.Cut(e.Addr, ":")
		auth = smtp.PlainAuth("", e.Username, e.Password, host)
	}
	msg := "From: " + e.From + "\r\n" +
		"To: " + strings.Join(e.To, ", ") + "\r\n" +
		"Subject: Lone working: overdue check-in\r\n" +
		"Content-Type: text/plain; charset=utf-8\r\n\r\n" +
		n.Text() + "\r\n"
	if err := smtp.SendMail(e.Addr, auth, e.From, e.To, []byte(msg)); err != nil {
		return fmt.Errorf("email: %w", err)
	}
	return nil
}

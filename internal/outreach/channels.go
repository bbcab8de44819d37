package outreach

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/tls"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/smtp"
	"net/url"
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
func postSigned(ctx context.Context, c *http.Client, target, secret string, body []byte, what string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, target, bytes.NewReader(body))
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
		// Not the URL: a gateway's key may sit in its query string, and
		// this error is kept and logged.
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
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

// Send sends the notice as a short plain-text email, within the
// context's deadline (a mail server that accepts and never answers must
// not hold the notices behind it). With a username it authenticates,
// which net/smtp allows only over TLS (STARTTLS) or to this machine.
func (e *Email) Send(ctx context.Context, n Notice) error {
	msg := "From: " + e.From + "\r\n" +
		"To: " + strings.Join(e.To, ", ") + "\r\n" +
		"Subject: Lone working: overdue check-in\r\n" +
		"Content-Type: text/plain; charset=utf-8\r\n\r\n" +
		n.Text() + "\r\n"
	if err := e.send(ctx, []byte(msg)); err != nil {
		return fmt.Errorf("email: %w", err)
	}
	return nil
}

func (e *Email) send(ctx context.Context, msg []byte) error {
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", e.Addr)
	if err != nil {
		return err
	}
	defer conn.Close()
	deadline, ok := ctx.Deadline()
	if !ok {
		deadline = time.Now().Add(sendTimeout)
	}
	if err := conn.SetDeadline(deadline); err != nil {
		return err
	}
	host, _, _ := net.SplitHostPort(e.Addr)
	c, err := smtp.NewClient(conn, host)
	if err != nil {
		return err
	}
	defer c.Close()
	if ok, _ := c.Extension("STARTTLS"); ok {
		if err := c.StartTLS(&tls.Config{ServerName: host}); err != nil {
			return err
		}
	}
	if e.Username != "" {
		if err := c.Auth(smtp.PlainAuth("", e.Username, e.Password, host)); err != nil {
			return err
		}
	}
	if err := c.Mail(e.From); err != nil {
		return err
	}
	for _, to := range e.To {
		if err := c.Rcpt(to); err != nil {
			return err
		}
	}
	w, err := c.Data()
	if err != nil {
		return err
	}
	if _, err := w.Write(msg); err != nil {
		return err
	}
	if err := w.Close(); err != nil {
		return err
	}
	return c.Quit()
}

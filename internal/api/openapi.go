package api

import (
	_ "embed"
	"encoding/json"
	"net/http"

	"frontdoor/internal/auth"
)

// openAPIDocument describes every route of the API, its schemas, the
// bearer security scheme and the error format. A test checks it against
// the router and the request types.
//
//go:embed openapi.json
var openAPIDocument []byte

// OpenAPI returns the OpenAPI 3.1 document, compacted.
func OpenAPI() []byte {
	var v any
	if err := json.Unmarshal(openAPIDocument, &v); err != nil {
		panic("api: openapi.json is not JSON: " + err.Error())
	}
	b, _ := json.Marshal(v)
	return b
}

var compactDocument = OpenAPI()

func (a *API) openAPI(w http.ResponseWriter, r *http.Request, _ *auth.APIToken) {
	w.Header().Set("Content-Type", "application/json")
	w.Write(compactDocument)
}

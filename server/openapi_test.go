package server

import (
	"strings"
	"testing"

	"github.com/steward-rmm/steward/api"
)

// authOf is a route policy in the words of api.Route.
func authOf(r RouteInfo) (string, bool) {
	switch {
	case r.Public:
		return api.AuthPublic, false
	case r.Agent:
		return api.AuthAgent, false
	case r.Partial:
		return api.AuthPartial, r.Fresh
	case r.PortalAdmin:
		return api.AuthPortalAdmin, r.Fresh
	case r.Portal:
		return api.AuthPortal, r.Fresh
	}
	return r.Perm, r.Fresh
}

// TestRoutesDocumented: every route the server serves is in the API
// contract (and so in the OpenAPI document) with the same method, path and
// policy, and the contract names no route the server lacks. A route added
// without documentation, or documented with another policy, fails here.
func TestRoutesDocumented(t *testing.T) {
	served := map[string]RouteInfo{}
	for _, r := range (&Server{}).Routes() {
		served[r.Method+" "+r.Pattern] = r
	}
	documented := map[string]api.Route{}
	for _, r := range api.Routes() {
		key := r.Method + " " + r.Path
		if _, dup := documented[key]; dup {
			t.Errorf("%s documented twice", key)
		}
		documented[key] = r
	}
	for key, r := range served {
		d, ok := documented[key]
		if !ok {
			t.Errorf("%s is served but not in api.Routes (the OpenAPI document)", key)
			continue
		}
		if auth, fresh := authOf(r); d.Auth != auth || d.Fresh != fresh {
			t.Errorf("%s: served with auth %q fresh %v, documented %q fresh %v", key, auth, fresh, d.Auth, d.Fresh)
		}
	}
	for key := range documented {
		if _, ok := served[key]; !ok {
			t.Errorf("%s is documented but not served", key)
		}
	}
	if len(served) < 60 {
		t.Fatalf("only %d routes served: the route table was not read", len(served))
	}
}

// TestOpenAPIPaths checks the served document itself: each route's path
// (the {name...} wildcard written as {name}) and method are in it.
func TestOpenAPIPaths(t *testing.T) {
	b, err := openAPIDoc()
	if err != nil {
		t.Fatal(err)
	}
	doc := string(b)
	for _, r := range (&Server{}).Routes() {
		path := strings.ReplaceAll(r.Pattern, "...}", "}")
		i := strings.Index(doc, "\n    \""+path+"\": {")
		if i < 0 {
			t.Errorf("%s missing from the OpenAPI document", path)
			continue
		}
		end := strings.Index(doc[i+1:], "\n    }")
		if !strings.Contains(doc[i:i+1+end], "\n      \""+strings.ToLower(r.Method)+"\": {") {
			t.Errorf("%s %s missing from the OpenAPI document", r.Method, path)
		}
	}
}

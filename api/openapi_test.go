package api

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite openapi.json")

// TestOpenAPIUpToDate regenerates the document from the types and fails if
// the committed openapi.json differs (go test ./api -update rewrites it).
func TestOpenAPIUpToDate(t *testing.T) {
	got, err := OpenAPI()
	if err != nil {
		t.Fatal(err)
	}
	if *update {
		if err := os.WriteFile("openapi.json", got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile("openapi.json")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatal("api/openapi.json is out of date with the api types: run go test ./api -update and commit it")
	}
}

// TestOpenAPIShape checks the document is what an OpenAPI 3.1 reader
// needs: every $ref resolves, every operation has a success response, and
// every route is there once.
func TestOpenAPIShape(t *testing.T) {
	b, err := OpenAPI()
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		OpenAPI    string                               `json:"openapi"`
		Paths      map[string]map[string]map[string]any `json:"paths"`
		Components struct {
			Schemas map[string]any `json:"schemas"`
		} `json:"components"`
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	if doc.OpenAPI != "3.1.0" {
		t.Fatalf("openapi = %q", doc.OpenAPI)
	}
	n := 0
	for _, ops := range doc.Paths {
		n += len(ops)
	}
	if n != len(Routes()) {
		t.Fatalf("%d operations for %d routes (a method and path given twice?)", n, len(Routes()))
	}
	for _, m := range bytesRefs(b) {
		if _, ok := doc.Components.Schemas[m]; !ok && m != "Error" {
			t.Errorf("$ref to missing schema %q", m)
		}
	}
	for _, name := range []string{"Device", "Job", "Run", "User", "EnrollToken", "protocol.Heartbeat"} {
		if _, ok := doc.Components.Schemas[name]; !ok {
			t.Errorf("schema %s missing", name)
		}
	}
}

func bytesRefs(b []byte) []string {
	var out []string
	for _, part := range strings.Split(string(b), `"$ref": "#/components/`)[1:] {
		ref := part[:strings.IndexByte(part, '"')]
		if name, ok := strings.CutPrefix(ref, "schemas/"); ok {
			out = append(out, name)
		}
	}
	return out
}

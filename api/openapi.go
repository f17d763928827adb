package api

import (
	"encoding/json"
	"fmt"
	"net/http"
	"reflect"
	"strings"
	"time"
)

// Version is the version of the REST contract the document states.
const Version = "1"

// OpenAPI returns the OpenAPI 3.1 document of every route in Routes, with
// the schemas of their bodies derived from the Go types by reflection
// (JSON names from the json tags; a field without omitempty/omitzero is
// required). The result is deterministic, so it can be committed and
// compared.
func OpenAPI() ([]byte, error) {
	g := &gen{schemas: map[string]any{}, seen: map[reflect.Type]string{}}
	paths := map[string]map[string]any{}
	for _, rt := range Routes() {
		path := strings.ReplaceAll(rt.Path, "...}", "}") // the server's {name...} wildcard
		op, err := g.operation(rt)
		if err != nil {
			return nil, fmt.Errorf("%s %s: %w", rt.Method, rt.Path, err)
		}
		if paths[path] == nil {
			paths[path] = map[string]any{}
		}
		paths[path][strings.ToLower(rt.Method)] = op
	}
	errRef, err := g.ref(reflect.TypeFor[Error]())
	if err != nil {
		return nil, err
	}
	doc := map[string]any{
		"openapi": "3.1.0",
		"info": map[string]any{
			"title":   "Steward API",
			"version": Version,
			"description": "The HTTP API of the Steward server. Operators authenticate with a session cookie " +
				"(POST /api/v1/auth/login; unsafe methods then need the X-CSRF-Token header) or a bearer API token; " +
				"x-steward-auth names the permission a route needs, x-steward-fresh a recent second factor.",
		},
		"paths": paths,
		"components": map[string]any{
			"schemas": g.schemas,
			"responses": map[string]any{
				"Error": map[string]any{"description": "An error", "content": jsonContent(errRef)},
			},
			"securitySchemes": map[string]any{
				"bearer":  map[string]any{"type": "http", "scheme": "bearer"},
				"session": map[string]any{"type": "apiKey", "in": "cookie", "name": "steward_session"},
			},
		},
	}
	b, err := json.MarshalIndent(doc, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("encode the OpenAPI document: %w", err)
	}
	return append(b, '\n'), nil
}

func jsonContent(schema any) map[string]any {
	return map[string]any{"application/json": map[string]any{"schema": schema}}
}

type gen struct {
	schemas map[string]any
	seen    map[reflect.Type]string
}

func (g *gen) operation(rt Route) (map[string]any, error) {
	op := map[string]any{
		"summary":         rt.Summary,
		"operationId":     operationID(rt),
		"x-steward-auth":  rt.Auth,
		"x-steward-fresh": rt.Fresh,
		"responses":       map[string]any{},
	}
	switch rt.Auth {
	case AuthPublic, AuthAgent:
		op["security"] = []any{}
	default:
		op["security"] = []any{map[string]any{"bearer": []any{}}, map[string]any{"session": []any{}}}
	}
	var params []any
	for _, seg := range strings.Split(rt.Path, "/") {
		if strings.HasPrefix(seg, "{") {
			name := strings.TrimSuffix(strings.Trim(seg, "{}"), "...")
			params = append(params, map[string]any{"name": name, "in": "path", "required": true,
				"schema": map[string]any{"type": "string"}})
		}
	}
	for _, q := range rt.Query {
		params = append(params, map[string]any{"name": q, "in": "query", "schema": map[string]any{"type": "string"}})
	}
	if params != nil {
		op["parameters"] = params
	}
	if rt.Request != nil {
		s, err := g.schema(reflect.TypeOf(rt.Request))
		if err != nil {
			return nil, err
		}
		op["requestBody"] = map[string]any{"required": true, "content": jsonContent(s)}
	}
	if rt.RequestContentType != "" {
		op["requestBody"] = map[string]any{"required": true, "content": map[string]any{
			rt.RequestContentType: map[string]any{"schema": map[string]any{"type": "string", "format": "binary"}}}}
	}
	status := rt.Status
	if status == 0 {
		status = http.StatusOK
	}
	ok := map[string]any{"description": http.StatusText(status)}
	switch {
	case rt.Response != nil:
		s, err := g.schema(reflect.TypeOf(rt.Response))
		if err != nil {
			return nil, err
		}
		ok["content"] = jsonContent(s)
		if rt.ContentType != "" { // a stream of such items
			ok["content"] = map[string]any{rt.ContentType: map[string]any{"schema": s}}
		}
	case rt.ContentType != "":
		ok["content"] = map[string]any{rt.ContentType: map[string]any{}}
	}
	resps := op["responses"].(map[string]any)
	resps[fmt.Sprint(status)] = ok
	resps["default"] = map[string]any{"$ref": "#/components/responses/Error"}
	return op, nil
}

func operationID(rt Route) string {
	var b strings.Builder
	b.WriteString(strings.ToLower(rt.Method))
	for _, seg := range strings.Split(rt.Path, "/") {
		seg = strings.Trim(strings.TrimSuffix(seg, "...}"), "{}")
		for _, part := range strings.FieldsFunc(seg, func(r rune) bool { return r == '-' || r == '.' || r == '_' }) {
			if part == "api" || part == "v1" {
				continue
			}
			b.WriteString(strings.ToUpper(part[:1]) + part[1:])
		}
	}
	return b.String()
}

var (
	timeType = reflect.TypeFor[time.Time]()
	rawType  = reflect.TypeFor[json.RawMessage]()
)

// ref returns a $ref to the named struct type t, adding its schema once.
func (g *gen) ref(t reflect.Type) (map[string]any, error) {
	name, ok := g.seen[t]
	if !ok {
		name = t.Name()
		if pkg := t.PkgPath(); !strings.HasSuffix(pkg, "/api") {
			name = pkg[strings.LastIndex(pkg, "/")+1:] + "." + name
		}
		g.seen[t] = name
		s, err := g.object(t)
		if err != nil {
			return nil, err
		}
		g.schemas[name] = s
	}
	return map[string]any{"$ref": "#/components/schemas/" + name}, nil
}

func (g *gen) schema(t reflect.Type) (map[string]any, error) {
	switch {
	case t == timeType:
		return map[string]any{"type": "string", "format": "date-time"}, nil
	case t == rawType:
		return map[string]any{"description": "any JSON value"}, nil
	}
	switch t.Kind() {
	case reflect.Pointer:
		return g.schema(t.Elem())
	case reflect.String:
		return map[string]any{"type": "string"}, nil
	case reflect.Bool:
		return map[string]any{"type": "boolean"}, nil
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return map[string]any{"type": "integer"}, nil
	case reflect.Float32, reflect.Float64:
		return map[string]any{"type": "number"}, nil
	case reflect.Interface:
		return map[string]any{}, nil
	case reflect.Slice, reflect.Array:
		if t.Elem().Kind() == reflect.Uint8 {
			return map[string]any{"type": "string", "contentEncoding": "base64"}, nil
		}
		items, err := g.schema(t.Elem())
		if err != nil {
			return nil, err
		}
		return map[string]any{"type": []string{"array", "null"}, "items": items}, nil
	case reflect.Map:
		if t.Key().Kind() != reflect.String {
			return nil, fmt.Errorf("map key of %v is not a string", t)
		}
		vals, err := g.schema(t.Elem())
		if err != nil {
			return nil, err
		}
		return map[string]any{"type": "object", "additionalProperties": vals}, nil
	case reflect.Struct:
		if t.Name() == "" {
			return g.object(t)
		}
		return g.ref(t)
	}
	return nil, fmt.Errorf("unsupported type %v", t)
}

// object is the schema of a struct: its exported fields by JSON name,
// embedded structs flattened as encoding/json does.
func (g *gen) object(t reflect.Type) (map[string]any, error) {
	props := map[string]any{}
	var required []string
	if err := g.fields(t, props, &required); err != nil {
		return nil, err
	}
	s := map[string]any{"type": "object", "properties": props, "additionalProperties": false}
	if required != nil {
		s["required"] = required
	}
	return s, nil
}

func (g *gen) fields(t reflect.Type, props map[string]any, required *[]string) error {
	for i := range t.NumField() {
		f := t.Field(i)
		tag := f.Tag.Get("json")
		if tag == "-" || (!f.IsExported() && !f.Anonymous) {
			continue
		}
		name, opts, _ := strings.Cut(tag, ",")
		if f.Anonymous && name == "" && f.Type.Kind() == reflect.Struct {
			if err := g.fields(f.Type, props, required); err != nil {
				return err
			}
			continue
		}
		if name == "" {
			name = f.Name
		}
		s, err := g.schema(f.Type)
		if err != nil {
			return fmt.Errorf("%s.%s: %w", t.Name(), f.Name, err)
		}
		props[name] = s
		if !strings.Contains(opts, "omitempty") && !strings.Contains(opts, "omitzero") {
			*required = append(*required, name)
		}
	}
	return nil
}

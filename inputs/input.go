// Package inputs holds the bootstrap input files (one per gateway step,
// embedded in the binary) and their strict loader.
//
// An input file is an ordered list of items. Each item is a value (a name,
// a default or a generator, a hint, whether it is secret) or an object to
// find or create in the org (a kind, a spec). Defaults and specs refer to
// values and to fields of objects with {{NAME}} and {{NAME.field}}. A file
// may also declare settings: the key/value sets `apicenter get-settings`
// prints from the output files.
package inputs

import "fmt"

// File is a loaded, validated input file.
type File struct {
	// Name is the input's name (mulesoft, mulesoft_policy, or the base name
	// of a user's file); the output file is <name>.yaml.
	Name string
	// Path is where the file came from, for messages (inputs/mulesoft.yaml
	// for an embedded one).
	Path        string
	Description string
	// Next tells the user what to do after a successful run; the run
	// prints it with its references expanded (never to a secret). Nil when
	// the file has none.
	Next *Template
	// Needs are the inputs whose output files this one reads (their values
	// and objects can be referred to).
	Needs []*File
	// Items are the values and objects, in file order.
	Items []*Item
	// Settings are the key/value sets get-settings prints, in file order.
	Settings []*SettingsSet
	// Demo says how `apicenter demo` and the benchmark run this input's
	// flow; nil when the file has no demo section.
	Demo *Demo
}

// Demo is how `apicenter demo --gateway NAME` runs an input's whole flow on
// the local org: its steps, the reference gateway's profile and the
// settings sets it loads, and the settings set the web app reads.
type Demo struct {
	Pos Pos
	// Steps run in order; none means one bootstrap of this input.
	Steps []*DemoStep
	// Gateway configures the reference gateway.
	Gateway DemoGateway
	// App is the settings set the web app reads (its .env keys).
	App string
}

// DemoGateway is the reference gateway of a demo.
type DemoGateway struct {
	// Profile names the reference gateway's profile that emulates the
	// product ("" is the reference behaviour).
	Profile string
	// Config names the settings sets (documents or bundles) the gateway
	// loads, in order: the product's native configuration.
	Config []string
	// Secrets are environment variables the gateway reads secrets from
	// (e.g. INTROSPECT_CLIENT_SECRET: "{{INTROSPECT_CLIENT.clientSecret}}").
	Secrets []*Setting
}

// DemoStep is one step of a demo: a bootstrap of an input, or the client
// registration a gateway product does through the org's dynamic client
// registration endpoint (Mulesoft).
type DemoStep struct {
	Pos       Pos
	Bootstrap string
	// RegisterClient registers the web app's client; its id and secret
	// become the values named, for the steps after it.
	RegisterClient *RegisterClient
}

// RegisterClient names the values a registered client's id and secret
// are given as.
type RegisterClient struct {
	ClientID, ClientSecret string
}

// Pos is a position in an input file.
type Pos struct {
	File   string
	Line   int
	Column int
}

func (p Pos) String() string {
	if p.Column > 0 {
		return fmt.Sprintf("%s:%d:%d", p.File, p.Line, p.Column)
	}
	return fmt.Sprintf("%s:%d", p.File, p.Line)
}

// Item is a value or an object.
type Item struct {
	Pos   Pos
	Name  string
	Value *Value  // set for a value
	Obj   *Object // set for an object
}

// IsValue reports whether the item is a value.
func (it *Item) IsValue() bool { return it.Value != nil }

// Generator says how a value's default is generated.
type Generator string

// The generators.
const (
	GenPassword Generator = "password" // 20 characters from crypto/rand meeting Okta's default policy
	GenName     Generator = "name"     // a random lowercase name like "zircon-lynx"
	GenTag      Generator = "tag"      // a random 6-character lowercase tag
)

// Value is a named value: taken from --set, the environment, .env or an
// earlier output file, else its default (asked about at a terminal).
type Value struct {
	Hint     string
	Default  *Template // nil when there is no literal default
	Generate Generator // "" when not generated
	Secret   bool
	// Validate names a check run on the final value: "", "url", "origin"
	// (a URL whose origin is used), "email", "password", "nonempty".
	Validate string
}

// Kind is an Okta object kind.
type Kind string

// The object kinds.
const (
	KindGroup           Kind = "group"
	KindUser            Kind = "user"
	KindAuthServer      Kind = "authorizationServer"
	KindScope           Kind = "scope"
	KindPolicy          Kind = "policy"
	KindRule            Kind = "rule"
	KindApp             Kind = "app"
	KindTrustedOrigin   Kind = "trustedOrigin"
	KindGroupAssignment Kind = "groupAssignment"
)

// FieldType is the type of a spec field.
type FieldType int

// The spec field types.
const (
	TString FieldType = iota
	TList
	TInt
	TBool
)

// KindInfo describes a kind: its spec fields, which are required, the
// fields of a found or created object that can be referred to, and the
// spec fields forming its natural key.
type KindInfo struct {
	Spec     map[string]FieldType
	Required []string
	Fields   []string
	Key      []string
}

// Kinds describes every kind an input file may use.
var Kinds = map[Kind]KindInfo{
	KindGroup: {
		Spec:     map[string]FieldType{"name": TString, "description": TString},
		Required: []string{"name"},
		Fields:   []string{"id", "name"},
		Key:      []string{"name"},
	},
	KindUser: {
		Spec:     map[string]FieldType{"login": TString, "email": TString, "firstName": TString, "lastName": TString, "password": TString, "groups": TList},
		Required: []string{"login", "firstName", "lastName", "password"},
		Fields:   []string{"id", "login"},
		Key:      []string{"login"},
	},
	KindAuthServer: {
		Spec:     map[string]FieldType{"name": TString, "description": TString, "audience": TString},
		Required: []string{"name", "audience"},
		Fields:   []string{"id", "name", "issuer", "audience"},
		Key:      []string{"name"},
	},
	KindScope: {
		Spec:     map[string]FieldType{"server": TString, "name": TString, "description": TString},
		Required: []string{"server", "name"},
		Fields:   []string{"id", "name"},
		Key:      []string{"server", "name"},
	},
	KindPolicy: {
		Spec: map[string]FieldType{"server": TString, "name": TString, "description": TString, "priority": TInt, "clients": TList},
		// The org refuses a policy without a description (400 E0000001), so
		// an input without one fails at load, before any request.
		Required: []string{"server", "name", "description", "clients"},
		Fields:   []string{"id", "name"},
		Key:      []string{"server", "name"},
	},
	KindRule: {
		Spec:     map[string]FieldType{"server": TString, "policy": TString, "name": TString, "priority": TInt, "groups": TList, "grantTypes": TList, "scopes": TList, "accessTokenLifetimeMinutes": TInt},
		Required: []string{"server", "policy", "name", "priority", "groups", "grantTypes", "scopes"},
		Fields:   []string{"id", "name"},
		Key:      []string{"server", "policy", "name"},
	},
	KindApp: {
		Spec:     map[string]FieldType{"label": TString, "type": TString, "grantTypes": TList, "responseTypes": TList, "redirectUris": TList, "tokenEndpointAuthMethod": TString, "pkceRequired": TBool},
		Required: []string{"label", "type", "grantTypes"},
		Fields:   []string{"id", "label", "clientId", "clientSecret"},
		Key:      []string{"label"},
	},
	KindTrustedOrigin: {
		Spec:     map[string]FieldType{"name": TString, "origin": TString, "scopes": TList},
		Required: []string{"name", "origin", "scopes"},
		Fields:   []string{"id", "name", "origin"},
		Key:      []string{"origin"},
	},
	KindGroupAssignment: {
		Spec:     map[string]FieldType{"app": TString, "group": TString},
		Required: []string{"app", "group"},
		Fields:   []string{"id"},
		Key:      []string{"app", "group"},
	},
}

// SecretFields are object fields that hold secrets (masked when shown).
var SecretFields = map[string]bool{"clientSecret": true, "password": true}

// Object is an Okta object to find by its natural key or create.
type Object struct {
	Kind Kind
	// Existing means the object must already exist (like the Everyone
	// group): it is looked up and never created.
	Existing bool
	// Spec holds the fields in file order.
	Spec []*SpecField
}

// SpecField is one field of an object's spec.
type SpecField struct {
	Pos  Pos
	Name string
	Type FieldType
	Str  *Template   // TString
	List []*Template // TList
	Int  int64       // TInt
	Bool bool        // TBool
}

// Field returns the spec field called name, or nil.
func (o *Object) Field(name string) *SpecField {
	for _, f := range o.Spec {
		if f.Name == name {
			return f
		}
	}
	return nil
}

// SettingsSet is a named set of settings get-settings prints: either keys
// (KEY: template, in order) or a document template.
type SettingsSet struct {
	Pos         Pos
	Name        string
	Description string
	Keys        []*Setting
	// Document is a template file rendered as a whole (e.g. the RAML), set
	// instead of Keys.
	Document *Template
	// Bundle is a directory of template files rendered together (written
	// as a zip by get-settings), set instead of Keys or Document.
	Bundle []*BundleFile
	// DocumentName is the template file's (or bundle directory's) name.
	DocumentName string
}

// BundleFile is one file of a bundle: its path inside the bundle and its
// template.
type BundleFile struct {
	Name     string
	Template *Template
}

// Setting is one KEY: template line of a settings set.
type Setting struct {
	Pos   Pos
	Key   string
	Value *Template
	// Secret marks a value to mask in summaries (client secrets, passwords).
	Secret bool
}

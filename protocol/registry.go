package protocol

// Registry methods of toolbox calls (call.go), Windows only: other agents
// answer CallBadRequest "registry is
// Windows-only". Paths are a hive and a key ("HKLM\SOFTWARE\Vendor");
// hives may be written in full (HKEY_LOCAL_MACHINE) or abbreviated.
const (
	// MethodRegistryList lists a key's subkeys and values, paged
	// (RegistryListParams → RegistryList).
	MethodRegistryList = "registry.list"
	// MethodRegistryGet reads one value (RegistryValueParams → RegValue).
	MethodRegistryGet = "registry.get"
	// MethodRegistrySet writes one value (RegistrySetParams → RegistryChanged).
	MethodRegistrySet = "registry.set"
	// MethodRegistryDeleteValue deletes one value (RegistryValueParams →
	// RegistryChanged).
	MethodRegistryDeleteValue = "registry.delete_value"
	// MethodRegistryCreateKey creates a key (RegistryKeyParams →
	// RegistryChanged; Created says whether it was new).
	MethodRegistryCreateKey = "registry.create_key"
	// MethodRegistryDeleteKey deletes a key, with its subkeys when
	// Recursive (RegistryKeyParams → RegistryChanged).
	MethodRegistryDeleteKey = "registry.delete_key"
)

// Registry value types (RegValue.Type).
const (
	RegSZ       = "REG_SZ"
	RegExpandSZ = "REG_EXPAND_SZ"
	RegMultiSZ  = "REG_MULTI_SZ"
	RegDWORD    = "REG_DWORD"
	RegQWORD    = "REG_QWORD"
	RegBinary   = "REG_BINARY"
	// RegNone and other types read as raw Data; they cannot be written.
	RegNone = "REG_NONE"
)

// Registry views (RegistryKeyParams.View): the 64-bit or the 32-bit
// (WOW6432Node) registry; empty is the 64-bit view on a 64-bit system.
const (
	RegView64 = "64"
	RegView32 = "32"
)

// Registry limits.
const (
	RegDefaultLimit = 500
	RegMaxLimit     = 5000
	// RegMaxData bounds a value's data, written or read.
	RegMaxData = 1 << 20
)

// RegistryKeyParams names a key.
type RegistryKeyParams struct {
	Path string `json:"path"`
	View string `json:"view,omitempty"`
	// Recursive deletes a key's subkeys too (delete_key).
	Recursive bool `json:"recursive,omitempty"`
}

// RegistryListParams pages through a key: subkeys first, then values,
// both by name. Cursor is the offset of the next entry.
type RegistryListParams struct {
	RegistryKeyParams
	Cursor int `json:"cursor,omitempty"`
	Limit  int `json:"limit,omitempty"`
}

// RegistryList is one page of a key.
type RegistryList struct {
	Path string `json:"path"`
	View string `json:"view"`
	// Keys are subkey names; Values the values (the default value has
	// the empty name).
	Keys   []string   `json:"keys"`
	Values []RegValue `json:"values"`
	// TotalKeys and TotalValues count the whole key.
	TotalKeys   int `json:"total_keys"`
	TotalValues int `json:"total_values"`
	// Next is the cursor of the next page; 0 when this was the last.
	Next int `json:"next,omitempty"`
}

// RegValue is a registry value. Exactly one of its data fields is set,
// by type: String (REG_SZ, REG_EXPAND_SZ), Strings (REG_MULTI_SZ), Number
// as decimal text (REG_DWORD, REG_QWORD: exact in JavaScript too), Data
// (REG_BINARY and any other type, base64 in JSON).
type RegValue struct {
	Name    string   `json:"name"`
	Type    string   `json:"type"`
	String  string   `json:"string,omitempty"`
	Strings []string `json:"strings,omitempty"`
	Number  string   `json:"number,omitempty"`
	Data    []byte   `json:"data,omitempty"`
	// Size is the data's size in bytes as stored.
	Size int `json:"size"`
}

// RegistryValueParams names a value of a key.
type RegistryValueParams struct {
	RegistryKeyParams
	Name string `json:"name"`
}

// RegistrySetParams writes Value (its Name, Type and data) under Path.
type RegistrySetParams struct {
	RegistryKeyParams
	Value RegValue `json:"value"`
	// Create creates the key when it does not exist.
	Create bool `json:"create,omitempty"`
}

// RegistryChanged answers a write.
type RegistryChanged struct {
	Path    string `json:"path"`
	View    string `json:"view"`
	Name    string `json:"name,omitempty"`
	Created bool   `json:"created,omitempty"`
	// Previous is the value before a set or delete_value, when it existed.
	Previous *RegValue `json:"previous,omitempty"`
}

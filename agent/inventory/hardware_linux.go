package inventory

import (
	"context"
	"path/filepath"
)

// readHardware reads the DMI identity the kernel exports under
// /sys/class/dmi/id. product_serial is mode 0400 (root): an agent run as
// another user, or a board without DMI (most ARM), leaves it empty.
func readHardware(_ context.Context, root string) Hardware {
	if root == "" {
		root = "/"
	}
	dir := filepath.Join(root, "sys", "class", "dmi", "id")
	read := func(name string) string {
		b, err := readCapped(filepath.Join(dir, name), 4096)
		if err != nil {
			return ""
		}
		return string(b)
	}
	return Hardware{Manufacturer: read("sys_vendor"), Model: read("product_name"), Serial: read("product_serial")}
}

// Command stewardctl is the Steward technician CLI.
package main

import (
	"os"

	"github.com/steward-rmm/steward/ctl"
)

func main() {
	os.Exit(ctl.Execute(os.Args[1:], os.Stdin, os.Stdout, os.Stderr, os.Getenv))
}

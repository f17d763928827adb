// Command crashy is a broken agent build for the self-update end-to-end
// test. "version" prints its version, like the real agent; "run" fails:
//
//	-X main.mode=early  exits 1 at once, before any agent code runs (a build
//	                    that cannot even start; the trial start catches it)
//	-X main.mode=late   passes the trial start and counts its start in the
//	                    update marker like the real agent, then exits 1 (an
//	                    agent that crashes after starting; the marker rolls
//	                    it back)
package main

import (
	"errors"
	"flag"
	"fmt"
	"os"

	"github.com/steward-rmm/steward/agent/update"
)

var (
	version = "0.0.0"
	mode    = "early"
)

func main() {
	if len(os.Args) < 2 {
		os.Exit(2)
	}
	switch os.Args[1] {
	case "version":
		fmt.Println(version)
	case "run":
		if mode == "early" {
			fmt.Fprintln(os.Stderr, "crashy: failing before start")
			os.Exit(1)
		}
		if ok, err := update.HandleTrial(version); ok {
			if err != nil {
				os.Exit(1)
			}
			return
		}
		fs := flag.NewFlagSet("run", flag.ExitOnError)
		dir := fs.String("config", "", "state directory")
		_ = fs.Parse(os.Args[2:])
		exe, err := os.Executable()
		if err != nil {
			os.Exit(1)
		}
		if _, err := update.Startup(*dir, exe, version, nil); errors.Is(err, update.ErrRestart) {
			fmt.Fprintln(os.Stderr, "crashy: rolled back")
			os.Exit(update.ExitRestart)
		}
		fmt.Fprintln(os.Stderr, "crashy: crashing after start")
		os.Exit(1)
	default:
		os.Exit(2)
	}
}

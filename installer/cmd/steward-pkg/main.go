// Command steward-pkg builds the Linux agent's deb and rpm packages:
//
//	steward-pkg --bin bin/dist/steward-agent-linux-amd64 --arch amd64 --version 1.2.3 --out bin/packages
package main

import (
	"context"
	"flag"
	"fmt"
	"os"

	"github.com/steward-rmm/steward/installer/linuxpkg"
)

type config struct {
	bin, arch, version, out string
}

func main() {
	var cfg config
	flag.StringVar(&cfg.bin, "bin", "", "the linux agent binary to package")
	flag.StringVar(&cfg.arch, "arch", "amd64", "amd64 or arm64")
	flag.StringVar(&cfg.version, "version", "dev", "package version (a leading v is dropped)")
	flag.StringVar(&cfg.out, "out", "bin/packages", "output directory")
	flag.Parse()
	if err := run(context.Background(), cfg); err != nil {
		fmt.Fprintln(os.Stderr, "steward-pkg:", err)
		os.Exit(1)
	}
}

func run(_ context.Context, cfg config) error {
	if cfg.bin == "" {
		return fmt.Errorf("--bin is required")
	}
	paths, err := linuxpkg.BuildPackages(cfg.out, cfg.bin, cfg.version, cfg.arch)
	if err != nil {
		return err
	}
	for _, p := range paths {
		fmt.Println(p)
	}
	return nil
}

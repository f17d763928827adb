// Command steward-release makes signed agent releases for self-update. Keep
// the private key off the server: sign on a build machine, copy the release
// directory to the server's --release-dir.
//
//	steward-release keygen --key release.key
//	steward-release pubkey --key release.key
//	steward-release sign --key release.key --releases DIR --version 1.2.0 [--dist bin/dist] [OS/ARCH=FILE ...]
//	steward-release verify --pubkey HEX|FILE --releases DIR [VERSION ...]
package main

import (
	"crypto/ed25519"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"github.com/steward-rmm/steward/server/release"
)

func main() {
	if err := run(os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "steward-release:", err)
		os.Exit(1)
	}
}

const usage = `usage:
  steward-release keygen --key FILE        make a release key (private key FILE, public key FILE.pub)
  steward-release pubkey --key FILE        print the public key (hex) for agents and --release-key
  steward-release sign --key FILE --releases DIR --version V [--dist DIR] [OS/ARCH=BINARY ...]
  steward-release verify --pubkey HEX|FILE --releases DIR [VERSION ...]`

func run(args []string, out io.Writer) error {
	if len(args) == 0 {
		return errors.New(usage)
	}
	fs := flag.NewFlagSet(args[0], flag.ContinueOnError)
	key := fs.String("key", "release.key", "release private key file")
	pubkey := fs.String("pubkey", "", "release public key, hex or file (verify)")
	releases := fs.String("releases", "releases", "release directory (the server's --release-dir)")
	version := fs.String("version", "", "release version, MAJOR.MINOR.PATCH[-PRE] (sign)")
	dist := fs.String("dist", "", "directory of steward-agent-OS-ARCH[.exe] binaries, as made by make dist (sign)")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	switch args[0] {
	case "keygen":
		pub, err := release.GenerateKey(*key)
		if err != nil {
			return err
		}
		h := hex.EncodeToString(pub)
		if err := os.WriteFile(*key+".pub", []byte(h+"\n"), 0o644); err != nil {
			return err
		}
		fmt.Fprintf(out, "private key: %s (keep it off the server)\npublic key:  %s (also in %s.pub)\n", *key, h, *key)
		return nil
	case "pubkey":
		priv, err := release.ReadPrivateKey(*key)
		if err != nil {
			return err
		}
		fmt.Fprintln(out, hex.EncodeToString(priv.Public().(ed25519.PublicKey)))
		return nil
	case "sign":
		priv, err := release.ReadPrivateKey(*key)
		if err != nil {
			return err
		}
		bins, err := binaries(*dist, fs.Args())
		if err != nil {
			return err
		}
		r, err := release.Sign(priv, *releases, *version, bins, time.Now())
		if err != nil {
			return err
		}
		fmt.Fprintf(out, "signed release %s in %s:\n", r.Version, r.Dir)
		for _, f := range r.Manifest.Files {
			fmt.Fprintf(out, "  %-34s %10d  %s\n", f.Name, f.Size, f.SHA256)
		}
		return nil
	case "verify":
		k, err := release.ParsePublicKey(*pubkey)
		if err != nil {
			return err
		}
		return verify(&release.Store{Dir: *releases, Key: k}, fs.Args(), out)
	}
	return errors.New(usage)
}

var distRE = regexp.MustCompile(`^steward-agent-([a-z0-9]+)-([a-z0-9]+)(\.exe)?$`)

// binaries collects the platforms to sign from --dist and OS/ARCH=FILE
// arguments.
func binaries(dist string, args []string) ([]release.Binary, error) {
	var bins []release.Binary
	if dist != "" {
		ents, err := os.ReadDir(dist)
		if err != nil {
			return nil, err
		}
		for _, e := range ents {
			if m := distRE.FindStringSubmatch(e.Name()); m != nil && e.Type().IsRegular() {
				bins = append(bins, release.Binary{OS: m[1], Arch: m[2], Path: filepath.Join(dist, e.Name())})
			}
		}
	}
	for _, a := range args {
		plat, path, ok := strings.Cut(a, "=")
		goos, arch, ok2 := strings.Cut(plat, "/")
		if !ok || !ok2 || goos == "" || arch == "" || path == "" {
			return nil, fmt.Errorf("%q: want OS/ARCH=BINARY, e.g. linux/amd64=bin/steward-agent", a)
		}
		bins = append(bins, release.Binary{OS: goos, Arch: arch, Path: path})
	}
	if len(bins) == 0 {
		return nil, errors.New("nothing to sign: give --dist DIR or OS/ARCH=BINARY arguments")
	}
	return bins, nil
}

// verify checks signatures, sizes and hashes of the named releases (all
// when none is named).
func verify(s *release.Store, versions []string, out io.Writer) error {
	if len(versions) == 0 {
		l, err := s.List()
		if err != nil {
			return err
		}
		for _, x := range l {
			versions = append(versions, x.Version)
		}
	}
	bad := 0
	for _, v := range versions {
		r, err := s.Get(v)
		if err == nil {
			err = r.VerifyFiles()
		}
		if err != nil {
			bad++
			fmt.Fprintf(out, "%s: INVALID: %v\n", v, err)
			continue
		}
		fmt.Fprintf(out, "%s: ok (%d files)\n", v, len(r.Manifest.Files))
	}
	if bad > 0 {
		return fmt.Errorf("%d of %d releases invalid", bad, len(versions))
	}
	return nil
}

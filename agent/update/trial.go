package update

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

// TrialEnv names the environment variable that makes an agent start a
// trial: it proves it gets as far as its Run (flags parsed, identity and
// spool loaded), writes its version to the file the variable names, and
// exits 0 without connecting or touching any state.
const TrialEnv = "STEWARD_UPDATE_TRIAL"

const trialPrefix = ".update-trial-"

// HandleTrial reports whether this process is a trial start; if so it has
// written the proof, and the caller returns (exit status 0) at once.
func HandleTrial(version string) (bool, error) {
	p := os.Getenv(TrialEnv)
	if p == "" {
		return false, nil
	}
	// Only a file named like the ones trial makes is written: the variable
	// cannot be used to write elsewhere.
	if !strings.HasPrefix(filepath.Base(p), trialPrefix) {
		return true, fmt.Errorf("update: %s does not name a trial file", TrialEnv)
	}
	return true, os.WriteFile(p, []byte(trialProof(version)), 0o600)
}

func trialProof(version string) string { return "ok " + version + "\n" }

// trial starts the new binary as the service would, with TrialEnv set, and
// checks it exits 0 having written its version.
func (u *Updater) trial(ctx context.Context, bin, version string) error {
	f, err := os.CreateTemp(u.Dir, trialPrefix+"*")
	if err != nil {
		return fmt.Errorf("%w: %v", ErrFailed, err)
	}
	proof := f.Name()
	f.Close()
	defer os.Remove(proof)
	ctx, cancel := context.WithTimeout(ctx, u.trialTimeout())
	defer cancel()
	var out capped
	cmd := exec.CommandContext(ctx, bin, u.Args...)
	cmd.Env = append(os.Environ(), TrialEnv+"="+proof)
	cmd.Stdout, cmd.Stderr = &out, &out
	cmd.WaitDelay = time.Second
	if err := cmd.Run(); err != nil {
		if errors.Is(ctx.Err(), context.DeadlineExceeded) {
			return fmt.Errorf("%w: trial start of the new version did not finish within %s", ErrFailed, u.trialTimeout())
		}
		return fmt.Errorf("%w: trial start of the new version: %v: %s", ErrFailed, err, out.tail())
	}
	b, _ := os.ReadFile(proof)
	if string(b) != trialProof(version) {
		return fmt.Errorf("%w: trial start of the new version exited without reaching the agent (wrote %q)", ErrFailed,
			strings.TrimSpace(string(b)))
	}
	return nil
}

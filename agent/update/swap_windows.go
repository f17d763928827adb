package update

import "os"

// swap moves the running binary aside to prev (Windows lets a running
// executable be renamed, not replaced) and moves next into its place; if
// that fails the running binary goes back.
func swap(exe, next, prev string) error {
	_ = os.Remove(prev)
	if err := os.Rename(exe, prev); err != nil {
		return err
	}
	if err := os.Rename(next, exe); err != nil {
		_ = os.Rename(prev, exe)
		return err
	}
	return nil
}

// swapBack moves the running (new) binary aside and prev back into place.
// The moved-aside binary is removed at the next start (cleanLeftovers).
func swapBack(exe, prev string) error {
	failed := failedPath(exe)
	_ = os.Remove(failed)
	if err := os.Rename(exe, failed); err != nil {
		return err
	}
	if err := os.Rename(prev, exe); err != nil {
		_ = os.Rename(failed, exe)
		return err
	}
	return nil
}

// checkInstallDir has nothing to check on Windows: the installer puts the
// agent under Program Files, whose ACL only administrators can write.
func checkInstallDir(dir string) error {
	_, err := os.Stat(dir)
	return err
}

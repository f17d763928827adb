//go:build windows

package health

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime"
	"strings"

	ole "github.com/go-ole/go-ole"
	"github.com/go-ole/go-ole/oleutil"
)

func systemWUA(log *slog.Logger) WUA { return comWUA{log: log} }

// comWUA drives the Windows Update Agent COM API.
type comWUA struct{ log *slog.Logger }

// onCOMThread runs f on its own locked OS thread with COM initialised:
// COM objects belong to the thread (apartment) that made them. When ctx ends
// first the caller gets ctx.Err() and f finishes in the background, since
// WUA calls cannot be interrupted.
func onCOMThread(ctx context.Context, f func() error) error {
	done := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		defer func() {
			if r := recover(); r != nil {
				done <- fmt.Errorf("windows update agent: panic: %v", r)
			}
		}()
		if err := ole.CoInitializeEx(0, ole.COINIT_MULTITHREADED); err != nil {
			var oe *ole.OleError
			// S_FALSE: already initialised on this thread, still balanced.
			if !errors.As(err, &oe) || oe.Code() != 1 {
				done <- fmt.Errorf("CoInitializeEx: %w", err)
				return
			}
		}
		defer ole.CoUninitialize()
		done <- f()
	}()
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

func createDispatch(progID string) (*ole.IDispatch, error) {
	unk, err := oleutil.CreateObject(progID)
	if err != nil {
		return nil, fmt.Errorf("create %s: %w", progID, err)
	}
	defer unk.Release()
	d, err := unk.QueryInterface(ole.IID_IDispatch)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", progID, err)
	}
	return d, nil
}

// dispCall returns an object-valued property or method result; the caller
// releases it.
func dispCall(d *ole.IDispatch, method bool, name string, args ...any) (*ole.IDispatch, error) {
	var v *ole.VARIANT
	var err error
	if method {
		v, err = oleutil.CallMethod(d, name, args...)
	} else {
		v, err = oleutil.GetProperty(d, name, args...)
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	if v.VT != ole.VT_DISPATCH || v.ToIDispatch() == nil {
		v.Clear()
		return nil, fmt.Errorf("%s: not an object (VT %d)", name, v.VT)
	}
	return v.ToIDispatch(), nil
}

func strProp(d *ole.IDispatch, name string) string {
	v, err := oleutil.GetProperty(d, name)
	if err != nil {
		return ""
	}
	defer v.Clear()
	if v.VT == ole.VT_BSTR {
		return v.ToString()
	}
	return ""
}

func intProp(d *ole.IDispatch, name string, args ...any) int64 {
	v, err := oleutil.GetProperty(d, name, args...)
	if err != nil {
		return 0
	}
	defer v.Clear()
	switch v.VT {
	case ole.VT_DECIMAL:
		// DECIMAL keeps its low 64 bits where VARIANT keeps Val; sizes fit.
		if v.Val < 0 {
			return 0
		}
		return v.Val
	case ole.VT_BOOL:
		if v.Val&0xffff != 0 {
			return 1
		}
		return 0
	}
	switch n := v.Value().(type) {
	case int8:
		return int64(n)
	case int16:
		return int64(n)
	case int32:
		return int64(n)
	case int64:
		return n
	case uint8:
		return int64(n)
	case uint16:
		return int64(n)
	case uint32:
		return int64(n)
	case uint64:
		return int64(min(n, 1<<62))
	case int:
		return int64(n)
	case float64:
		return int64(n)
	}
	return 0
}

func boolProp(d *ole.IDispatch, name string) bool { return intProp(d, name) != 0 }

// eachItem calls f with every item of a WUA collection property.
func eachItem(d *ole.IDispatch, prop string, f func(*ole.IDispatch, ole.VARIANT)) error {
	coll, err := dispCall(d, false, prop)
	if err != nil {
		return err
	}
	defer coll.Release()
	n := int(intProp(coll, "Count"))
	for i := 0; i < n && i < 100000; i++ {
		v, err := oleutil.GetProperty(coll, "Item", i)
		if err != nil {
			return fmt.Errorf("%s.Item(%d): %w", prop, i, err)
		}
		f(coll, *v)
		v.Clear()
	}
	return nil
}

func readUpdate(u *ole.IDispatch) WUAUpdate {
	w := WUAUpdate{
		Title:           strProp(u, "Title"),
		MsrcSeverity:    strProp(u, "MsrcSeverity"),
		MaxDownloadSize: intProp(u, "MaxDownloadSize"),
		IsDownloaded:    boolProp(u, "IsDownloaded"),
	}
	if id, err := dispCall(u, false, "Identity"); err == nil {
		w.UpdateID = strProp(id, "UpdateID")
		id.Release()
	}
	_ = eachItem(u, "KBArticleIDs", func(_ *ole.IDispatch, v ole.VARIANT) {
		if v.VT == ole.VT_BSTR {
			w.KBArticleIDs = append(w.KBArticleIDs, v.ToString())
		}
	})
	_ = eachItem(u, "Categories", func(_ *ole.IDispatch, v ole.VARIANT) {
		if c := v.ToIDispatch(); v.VT == ole.VT_DISPATCH && c != nil {
			w.Categories = append(w.Categories, strProp(c, "Name"))
			w.CategoryIDs = append(w.CategoryIDs, strProp(c, "CategoryID"))
		}
	})
	if ib, err := dispCall(u, false, "InstallationBehavior"); err == nil {
		w.RebootBehavior = int(intProp(ib, "RebootBehavior"))
		ib.Release()
	}
	return w
}

func newSession() (*ole.IDispatch, error) {
	s, err := createDispatch("Microsoft.Update.Session")
	if err != nil {
		return nil, err
	}
	_, _ = oleutil.PutProperty(s, "ClientApplicationID", "Steward")
	return s, nil
}

// search runs a query and calls keep for each update (still referenced
// during the call) with its mapped data.
func search(sess *ole.IDispatch, criteria string, keep func(*ole.IDispatch, WUAUpdate)) error {
	searcher, err := dispCall(sess, true, "CreateUpdateSearcher")
	if err != nil {
		return err
	}
	defer searcher.Release()
	res, err := dispCall(searcher, true, "Search", criteria)
	if err != nil {
		return err
	}
	defer res.Release()
	return eachItem(res, "Updates", func(_ *ole.IDispatch, v ole.VARIANT) {
		if u := v.ToIDispatch(); v.VT == ole.VT_DISPATCH && u != nil {
			keep(u, readUpdate(u))
		}
	})
}

func (w comWUA) Search(ctx context.Context, criteria string) ([]WUAUpdate, error) {
	var out []WUAUpdate
	err := onCOMThread(ctx, func() error {
		sess, err := newSession()
		if err != nil {
			return err
		}
		defer sess.Release()
		return search(sess, criteria, func(_ *ole.IDispatch, u WUAUpdate) { out = append(out, u) })
	})
	return out, err
}

func (w comWUA) RebootRequired(ctx context.Context) (bool, error) {
	var need bool
	err := onCOMThread(ctx, func() error {
		si, err := createDispatch("Microsoft.Update.SystemInfo")
		if err != nil {
			return err
		}
		defer si.Release()
		need = boolProp(si, "RebootRequired")
		return nil
	})
	return need, err
}

// WUA operation result codes (OperationResultCode).
const (
	orcSucceeded           = 2
	orcSucceededWithErrors = 3
)

func (w comWUA) Install(ctx context.Context, ids []string) (WUAInstallResult, error) {
	var res WUAInstallResult
	err := onCOMThread(ctx, func() error {
		sess, err := newSession()
		if err != nil {
			return err
		}
		defer sess.Release()
		coll, err := createDispatch("Microsoft.Update.UpdateColl")
		if err != nil {
			return err
		}
		defer coll.Release()

		// Search once, map IDs over the whole result as Patches does, then
		// pick the wanted ones. AddRef keeps each picked update alive
		// beyond the search.
		var found []WUAUpdate
		var objs []*ole.IDispatch
		if err := search(sess, WUACriteria, func(u *ole.IDispatch, wu WUAUpdate) {
			u.AddRef()
			objs = append(objs, u)
			found = append(found, wu)
		}); err != nil {
			return err
		}
		defer func() {
			for _, o := range objs {
				o.Release()
			}
		}()
		want := map[string]bool{}
		for _, id := range ids {
			want[strings.ToLower(id)] = true
		}
		var picked []string
		var log strings.Builder
		for i, id := range WUAPatchIDs(found) {
			if len(ids) > 0 && !want[strings.ToLower(id)] {
				continue
			}
			delete(want, strings.ToLower(id))
			u := objs[i]
			if !boolProp(u, "EulaAccepted") {
				if v, err := oleutil.CallMethod(u, "AcceptEula"); err != nil {
					res.Failed = append(res.Failed, id)
					fmt.Fprintf(&log, "%s: accept EULA: %v\n", id, err)
					continue
				} else {
					v.Clear()
				}
			}
			v, err := oleutil.CallMethod(coll, "Add", u)
			if err != nil {
				res.Failed = append(res.Failed, id)
				fmt.Fprintf(&log, "%s: %v\n", id, err)
				continue
			}
			v.Clear()
			picked = append(picked, id)
		}
		for _, id := range ids {
			if want[strings.ToLower(id)] {
				res.Failed = append(res.Failed, id)
				fmt.Fprintf(&log, "%s: not offered by Windows Update\n", id)
			}
		}
		defer func() { res.Output = log.String() }()
		if len(picked) == 0 {
			return nil
		}

		dl, err := dispCall(sess, true, "CreateUpdateDownloader")
		if err != nil {
			return err
		}
		defer dl.Release()
		if err := putObject(dl, "Updates", coll); err != nil {
			return err
		}
		if dres, err := dispCall(dl, true, "Download"); err != nil {
			fmt.Fprintf(&log, "download: %v\n", err)
		} else {
			fmt.Fprintf(&log, "download result code %d\n", intProp(dres, "ResultCode"))
			dres.Release()
		}

		inst, err := dispCall(sess, true, "CreateUpdateInstaller")
		if err != nil {
			return err
		}
		defer inst.Release()
		_, _ = oleutil.PutProperty(inst, "ForceQuiet", true)
		if err := putObject(inst, "Updates", coll); err != nil {
			return err
		}
		ires, err := dispCall(inst, true, "Install")
		if err != nil {
			res.Failed = append(res.Failed, picked...)
			fmt.Fprintf(&log, "install: %v\n", err)
			return nil
		}
		defer ires.Release()
		res.RebootRequired = boolProp(ires, "RebootRequired")
		for i, id := range picked {
			code := int64(-1)
			if ur, err := dispCall(ires, true, "GetUpdateResult", i); err == nil {
				code = intProp(ur, "ResultCode")
				ur.Release()
			}
			fmt.Fprintf(&log, "%s: result code %d\n", id, code)
			if code == orcSucceeded || code == orcSucceededWithErrors {
				res.Installed = append(res.Installed, id)
			} else {
				res.Failed = append(res.Failed, id)
			}
		}
		return nil
	})
	return res, err
}

// putObject sets an object-valued property; WUA takes these as propput,
// some builds only as propputref.
func putObject(d *ole.IDispatch, name string, v *ole.IDispatch) error {
	if _, err := oleutil.PutProperty(d, name, v); err == nil {
		return nil
	}
	if _, err := oleutil.PutPropertyRef(d, name, v); err != nil {
		return fmt.Errorf("set %s: %w", name, err)
	}
	return nil
}

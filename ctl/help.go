package ctl

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"
)

// requireSubcommands makes every command that only groups others (clients,
// software, ...) refuse an argument it does not know: cobra would print
// the group's help and exit 0, so a typo like "software vm" looked like
// success. With no argument the group still prints its help.
func requireSubcommands(c *cobra.Command) {
	for _, sub := range c.Commands() {
		requireSubcommands(sub)
	}
	if !c.HasSubCommands() || c.Runnable() {
		return
	}
	c.Args = func(cmd *cobra.Command, args []string) error {
		if len(args) == 0 {
			return nil
		}
		return unknownCommand(cmd, args[0])
	}
	c.RunE = func(cmd *cobra.Command, args []string) error { return cmd.Help() }
}

// unknownCommand names the unknown word, the command it was given to, any
// close match, and the valid subcommands.
func unknownCommand(cmd *cobra.Command, arg string) error {
	var b strings.Builder
	fmt.Fprintf(&b, "unknown command %q for %q", arg, cmd.CommandPath())
	if cmd.SuggestionsMinimumDistance <= 0 {
		cmd.SuggestionsMinimumDistance = 2 // cobra's own default, applied only on its path
	}
	if s := cmd.SuggestionsFor(arg); len(s) > 0 {
		fmt.Fprintf(&b, "\n\nDid you mean this?\n\t%s", strings.Join(s, "\n\t"))
	}
	b.WriteString("\n\nValid commands:")
	for _, sub := range cmd.Commands() {
		if sub.IsAvailableCommand() {
			fmt.Fprintf(&b, "\n  %-12s %s", sub.Name(), sub.Short)
		}
	}
	return fmt.Errorf("%s", b.String())
}

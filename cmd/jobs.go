package cmd

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/envoy-plugin/envoy-plugin/internal/creds"
	"github.com/envoy-plugin/envoy-plugin/internal/iostreams"
	"github.com/envoy-plugin/envoy-plugin/internal/manifest"
	"github.com/envoy-plugin/envoy-plugin/internal/sim/api"
	"github.com/envoy-plugin/envoy-plugin/internal/simstate"
)

// simTimeout bounds one call to the simulator or the state file.
const simTimeout = 10 * time.Second

// openSim opens the project's simulated install for the jobs, storage and
// config commands: the running simulator, else the state file (created when
// create is true, for the commands that seed it).
func openSim(f *Factory, command string, create bool) (simstate.Inspector, error) {
	dir := f.ProjectDir()
	st, err := simstate.OpenInspector(dir, create)
	if errors.Is(err, simstate.ErrNoSimulator) {
		if !inSimProject(f, dir) {
			return nil, noSimProjectError(f, dir)
		}
		return nil, fmt.Errorf("no simulated install in %s yet: run `envoy-plugin dev` (it creates %s/state.json)", f.rel(dir), simstate.Dir)
	}
	if err != nil {
		return nil, err
	}
	simstate.SetCommand(st, command)
	if create && !st.Running() {
		if _, tracked, err := creds.EnsureGitignored(dir, simstate.Dir+"/"); err == nil && tracked {
			f.Warnf("%s/ is tracked by git: run `git rm -r --cached %s`", simstate.Dir, simstate.Dir)
		}
	}
	return st, nil
}

// inSimProject reports whether dir is a plugin project (a manifest was
// found, or given with --manifest) or holds simulator state (a state file,
// or a running dev's dev.json).
func inSimProject(f *Factory, dir string) bool {
	if _, found, err := f.ManifestPath(); err == nil && (found || f.ManifestFlag != "") {
		return true
	}
	for _, p := range []string{simstate.StatePath(dir), simstate.DevInfoPath(dir)} {
		if _, err := os.Stat(p); err == nil {
			return true
		}
	}
	return false
}

// noSimProjectError says that the command ran outside any project.
func noSimProjectError(f *Factory, dir string) error {
	return fmt.Errorf("no simulated install found in %s (no %s here or in its parents, no %s/state.json): run this in your plugin's folder, or start one there with `envoy-plugin dev`", dir, manifest.FileName, simstate.Dir)
}

type jobsOptions struct {
	ID   string
	JSON bool
}

func newCmdJobs(f *Factory) *cobra.Command {
	opts := &jobsOptions{}
	c := &cobra.Command{
		Use:   "jobs [job-id]",
		Short: "List the simulated jobs, or show one job's history",
		Long: `List the jobs that send-event registered with the simulated Envoy API
(envoy-plugin dev), with their status as Envoy's dashboard would show it;
with a job id (or a unique prefix of it, 4 characters or more), show that
job: status, message, failure reason, attachments
and every update the plugin made.

Reads the running simulator when there is one, else .envoy-plugin/state.json.
Text output masks password attachments; --json prints them as the plugin
sent them.`,
		Example: `  $ envoy-plugin jobs
  $ envoy-plugin jobs 0b7c7bde-3f4e-4c1a-9f0e-1a2b3c4d5e6f
  $ envoy-plugin jobs 0b7c
  $ envoy-plugin jobs --json | jq -r '.[] | select(.status == "failed") | .id'`,
		Args: maxArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			if len(args) == 1 {
				opts.ID = args[0]
			}
			return jobsRun(f, opts)
		},
	}
	c.Flags().BoolVar(&opts.JSON, "json", false, "print JSON (a list of jobs, or one job)")
	return c
}

func jobsRun(f *Factory, opts *jobsOptions) error {
	ctx, cancel := context.WithTimeout(context.Background(), simTimeout)
	defer cancel()
	dir := f.ProjectDir()
	st, err := simstate.OpenInspector(dir, false)
	if errors.Is(err, simstate.ErrNoSimulator) {
		if !inSimProject(f, dir) {
			return noSimProjectError(f, dir)
		}
		if opts.ID == "" {
			return printJobs(f, opts, nil)
		}
		return fmt.Errorf("no job %q: no simulated install in %s yet; run `envoy-plugin dev`, then send events with send-event", opts.ID, f.rel(dir))
	}
	if err != nil {
		return err
	}
	if opts.ID != "" {
		j, err := findJob(ctx, st, opts.ID)
		if err != nil {
			return err
		}
		return f.Printer(opts.JSON).Print(jobView(*j))
	}
	jobs, err := st.Jobs(ctx)
	if err != nil {
		return err
	}
	return printJobs(f, opts, jobs)
}

// minJobPrefix is the shortest job id prefix that jobs accepts.
const minJobPrefix = 4

// findJob finds a job by its id, or by a unique prefix of it (at least
// minJobPrefix characters, case-insensitive).
func findJob(ctx context.Context, st simstate.Inspector, id string) (*api.Job, error) {
	j, err := st.Job(ctx, id)
	if err == nil {
		return j, nil
	}
	if !simstate.NotFound(err) {
		return nil, err
	}
	notFound := fmt.Errorf("no job %q in %s; run `envoy-plugin jobs` to list them", id, st.Where())
	if len(id) < minJobPrefix {
		return nil, fmt.Errorf("no job %q in %s; give the whole id or at least %d characters of it (run `envoy-plugin jobs` to list them)", id, st.Where(), minJobPrefix)
	}
	jobs, err := st.Jobs(ctx)
	if err != nil {
		return nil, err
	}
	matches := matchJobPrefix(jobs, id)
	switch len(matches) {
	case 0:
		return nil, notFound
	case 1:
		return &matches[0], nil
	}
	var b strings.Builder
	for _, m := range matches {
		fmt.Fprintf(&b, "\n  %s  %s  %s", m.ID, m.Event, m.Status)
	}
	return nil, fmt.Errorf("%q matches %d jobs: give more of the id%s", id, len(matches), b.String())
}

// matchJobPrefix returns the jobs whose id starts with prefix, ignoring
// case.
func matchJobPrefix(jobs []api.Job, prefix string) []api.Job {
	var out []api.Job
	p := strings.ToLower(prefix)
	for _, j := range jobs {
		if strings.HasPrefix(strings.ToLower(j.ID), p) {
			out = append(out, j)
		}
	}
	return out
}

func printJobs(f *Factory, opts *jobsOptions, jobs []api.Job) error {
	if jobs == nil {
		jobs = []api.Job{}
	}
	if len(jobs) == 0 && !opts.JSON {
		f.Infof("no jobs yet: send-event registers one per event it delivers while `envoy-plugin dev` runs")
		return nil
	}
	return f.Printer(opts.JSON).Print(jobList(jobs))
}

// jobList is the jobs table.
type jobList []api.Job

func (l jobList) WriteText(w io.Writer, cs *iostreams.ColorScheme) error {
	tw := tabwriter.NewWriter(w, 0, 2, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tEVENT\tSTATUS\tUPDATES\tMESSAGE")
	for _, j := range l {
		msg := j.StatusMessage
		if j.FailureReason != "" {
			msg = strings.TrimSpace(msg + " (reason: " + j.FailureReason + ")")
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%s\n", j.ID, j.Event, statusColor(j.Status, cs), j.PluginUpdates(), msg)
	}
	return tw.Flush()
}

func statusColor(s string, cs *iostreams.ColorScheme) string {
	switch s {
	case api.StatusDone:
		return cs.Green(s)
	case api.StatusFailed:
		return cs.Red(s)
	case api.StatusIgnored, api.StatusOngoing:
		return cs.Yellow(s)
	}
	return s
}

// jobView is one job with its history.
type jobView api.Job

func (j jobView) WriteText(w io.Writer, cs *iostreams.ColorScheme) error {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s\n", cs.Bold("job"), j.ID)
	fmt.Fprintf(&b, "event:          %s\n", j.Event)
	fmt.Fprintf(&b, "install:        %s\n", j.InstallID)
	fmt.Fprintf(&b, "status:         %s\n", statusColor(j.Status, cs))
	if j.StatusMessage != "" {
		fmt.Fprintf(&b, "message:        %s\n", j.StatusMessage)
	}
	if j.FailureReason != "" {
		fmt.Fprintf(&b, "failure reason: %s\n", j.FailureReason)
	}
	if len(j.Attachments) > 0 {
		b.WriteString("attachments:\n")
		for _, a := range j.Attachments {
			b.WriteString("  " + api.FormatAttachment(a, cs, true) + "\n")
		}
	}
	if len(j.History) == 0 {
		b.WriteString("history:        none yet (the plugin has not updated this job)\n")
	} else {
		b.WriteString("history:\n")
		for _, u := range j.History {
			u := u
			at := u.At
			if t, err := time.Parse(time.RFC3339Nano, u.At); err == nil {
				at = t.Local().Format("15:04:05")
			}
			src := ""
			if u.Source == api.AnswerSource {
				src = cs.Gray("  (the worker's HTTP answer)")
			}
			fmt.Fprintf(&b, "  %s  %s%s\n", cs.Gray(at), api.UpdateSummary(&u, cs), src)
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

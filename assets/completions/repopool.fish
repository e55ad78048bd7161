# fish completion for repopool.
#
# Options with their values (--git operations, --fetch-with, files and
# directories), directories as repositories, and after '--' a command and
# its arguments. Installed as datadir/fish/vendor_completions.d/repopool.fish.
# tests/integration/test_completion.py checks that it names every option
# of `repopool --help` and the --git operations of
# src/backend/gitop_table.c.

# Whether the token being completed comes after the '--' that starts the
# command (the value of an option such as '-f --' is no start).
function __repopool_in_command
    set -l takes_value --repos-from --scan --depth --git --remote --fetch-with \
        --stall-timeout --demo-mean --demo-fail --demo-capacity --demo-hosts --seed \
        --jobs --max-jobs --rate --retries --per-host --timeout --joblog --output \
        --group --add-to --remove-from --order -G -c
    set -l tokens (commandline -opc)
    set -e tokens[1]
    while set -q tokens[1]
        set -l token $tokens[1]
        set -e tokens[1]
        if test "$token" = --
            return 0
        else if contains -- $token $takes_value; or string match -rq -- '^-[qhV]*[fsgjGc]$' $token
            set -e tokens[1]
        end
    end
    return 1
end

# The command line after that '--', completed as a command of its own.
function __repopool_complete_command
    set -l tokens (commandline -opc) (commandline -ct)
    set -l i (contains -i -- -- $tokens)
    __fish_complete_subcommand --commandline $tokens[(math $i + 1)..-1]
end

# The config's groups, and its named commands with their scripts, as
# `repopool --groups` lists them.
function __repopool_groups
    set -l repopool (commandline -opc)[1]
    $repopool --groups 2>/dev/null | sed -n '/^commands$/q; /^[^ ]/{s/ (.*)$//;p;}'
end

function __repopool_commands
    set -l repopool (commandline -opc)[1]
    $repopool --groups 2>/dev/null | sed -n '/^commands$/,$ s/^  \([^ =]*\) = /\1\t/p'
end

set -l opts -c repopool -n 'not __repopool_in_command'

# Repositories: directories, no files.
complete $opts -f -a '(__fish_complete_directories (commandline -ct) repository)'
complete -c repopool -n __repopool_in_command -f -a '(__repopool_complete_command)'

# Repositories
complete $opts -s f -l repos-from -r -F -d 'Read repository paths from FILE (- for stdin)'
complete $opts -s s -l scan -x -a '(__fish_complete_directories (commandline -ct))' -d 'Find repositories under DIR'
complete $opts -l depth -x -d 'Directory levels --scan descends (default 3)'
complete $opts -l nested -d 'Let --scan look inside repositories'

# Work
complete $opts -s g -l git -x -d 'Built-in git operation' -a '
    status\t"Branch, ahead/behind and changes, as git status"
    fetch\t"Fetch every remote, or --remote"
    pull\t"Fetch and fast-forward only, or refuse"'
complete $opts -l remote -x -a origin -d 'Fetch only this remote'
complete $opts -l fetch-with -x -a 'git libgit2' -d 'What fetches (default libgit2)'
complete $opts -l stall-timeout -x -d 'Stop a fetch silent this many seconds (default 60)'
complete $opts -l shell -d 'Run the single COMMAND string with /bin/sh -c'

# Demo
complete $opts -l demo -d 'Run N simulated tasks (default 40)'
complete $opts -l demo-mean -x -d 'Mean duration of a simulated task (default 0.5)'
complete $opts -l demo-fail -x -d 'Chance of a simulated network failure'
complete $opts -l demo-capacity -x -d 'Simulated capacity: K,K... per host or K@SEC,...'
complete $opts -l demo-hosts -x -d 'Spread simulated tasks over N hosts'
complete $opts -l seed -x -d 'Seed of the simulation'
complete $opts -l compare -d 'Run the demo four ways in simulated time and compare'

# Pool
complete $opts -s j -l jobs -x -d 'Initial cap (default 5; 0 starts paused)'
complete $opts -l max-jobs -x -d 'Ceiling for runtime changes (default 256)'
complete $opts -l rate -x -d 'At most R task starts per second'
complete $opts -l retries -x -d 'Retry transient failures N times'
complete $opts -l timeout -x -d 'Time limit of each attempt, in seconds'
complete $opts -l per-host -x -d 'At most N tasks on one host at once'
complete $opts -l adaptive -d "Learn each host's limit from its refusals"

# Output
complete $opts -l tui -d 'Show the dashboard'
complete $opts -l no-tui -d 'Print headless lines'
complete $opts -l exit-when-done -d 'Close the dashboard when the run ends'
complete $opts -l json -d 'Print JSON Lines events on stdout'
complete $opts -l fail-on-attention -d 'Exit 1 when a repository needs attention'
complete $opts -l output -x -a 'all last none' -d 'What of a task'\''s output the lines show'
complete $opts -l joblog -r -F -d "Write GNU parallel's job log to FILE"
complete $opts -s q -l quiet -d 'Print only tasks that did not end ok, no summary'
complete $opts -s h -l help -d 'Show the options'
complete $opts -s V -l version -d 'Show the version'

# Groups and history
complete $opts -s G -l group -x -a '(__repopool_groups)' -d 'The repositories of a group of the config file'
complete $opts -s c -x -a '(__repopool_commands)' -d 'Run a named command of the config file'
complete $opts -l groups -d 'List the groups with their repositories, and the named commands'
complete $opts -l add-to -x -a '(__repopool_groups)' -d 'Add the repositories named to a group'
complete $opts -l remove-from -x -a '(__repopool_groups)' -d 'Remove the repositories named from a group'
complete $opts -l rerun-failed -d 'Run only what did not end ok last time'
complete $opts -l order -x -a 'given longest' -d 'The order tasks start in'
complete $opts -l history -d "List the latest runs, or one run's failures"
complete $opts -l no-history -d 'Do not record this run'

# bash completion for repopool                             -*- shell-script -*-
#
# Options, the values of those that take a choice (--git, --fetch-with),
# files and directories where an option wants one, directories as
# repositories, and after '--' a command and its arguments.
#
# Installed as datadir/bash-completion/completions/repopool, where
# bash-completion loads it on demand; it also works sourced into a plain
# bash. tests/integration/test_completion.py checks that it names every
# option of `repopool --help` and the --git operations of
# src/backend/gitop_table.c.

# Options that take their value in the next word (or after '=').
_repopool_value_options='--repos-from --scan --depth --git --remote --fetch-with
    --stall-timeout --demo-mean --demo-fail --demo-capacity --demo-hosts --seed
    --jobs --max-jobs --rate --retries --per-host --timeout --joblog --output
    --group --add-to --remove-from --order -f -s -g -j -G -c'
_repopool_flag_options='--nested --shell --demo --compare --adaptive --tui --no-tui --fail-on-attention
    --exit-when-done --json --quiet --help --version -q -h -V
    --groups --rerun-failed --history --no-history'
_repopool_git_operations='status fetch pull'

# Whether $1 is an option whose value is the next word: a long one of the
# list, or short ones bundled with the last taking a value ("-qj").
_repopool_takes_value()
{
    case $1 in
    --*=*) return 1 ;;
    --*) [[ " ${_repopool_value_options//$'\n'/ } " == *" $1 "* ]] ;;
    -*) [[ $1 =~ ^-[qhV]*[fsgjGc]$ ]] ;;
    *) return 1 ;;
    esac
}

# The config's group names (groups) or named commands (commands), as
# `repopool --groups` lists them, into COMPREPLY.
_repopool_config_names()
{
    local script='/^commands$/q; /^[^ ]/{s/ (.*)$//;p;}'
    [[ $1 == commands ]] && script='/^commands$/,$ s/^  \([^ =]*\) = .*/\1/p'
    _repopool_words "$("${COMP_WORDS[0]}" --groups 2>/dev/null | sed -n "$script")"
}

# The words of the list $1 that start with $cur, into COMPREPLY.
_repopool_words()
{
    local IFS=$' \t\n'
    COMPREPLY+=($(compgen -W "$1" -- "$cur"))
}

# Directories (with -d) or files matching $cur into COMPREPLY, with
# bash-completion's quoting where it is loaded.
_repopool_paths()
{
    if declare -F _filedir >/dev/null; then
        _filedir "$@"
        return
    fi
    local IFS=$'\n' word=$cur
    # Unquote what was typed as far as it matters for a path: my\ dir, 'my dir.
    word=${word//\\/}
    word=${word#[\'\"]}
    if [[ $1 == -d ]]; then
        COMPREPLY+=($(compgen -d -- "$word"))
    else
        COMPREPLY+=($(compgen -f -- "$word"))
    fi
    compopt -o filenames 2>/dev/null
}

_repopool()
{
    # Names such as 'a*' are words to offer, not patterns to expand.
    local -
    set -o noglob
    local cword=$COMP_CWORD
    local cur=${COMP_WORDS[cword]} prev=
    ((cword > 0)) && prev=${COMP_WORDS[cword - 1]}
    COMPREPLY=()

    # After the '--' that starts the command: the command, then its
    # arguments (the value of an option such as '-f --' is no start).
    local i
    for ((i = 1; i < cword; i++)); do
        if [[ ${COMP_WORDS[i]} == -- ]]; then
            if ((i + 1 == cword)); then
                local IFS=$'\n'
                COMPREPLY=($(compgen -c -- "$cur" | sort -u))
            else
                _repopool_paths
            fi
            return 0
        fi
        _repopool_takes_value "${COMP_WORDS[i]}" && ((i++))
    done

    # The option whose value is being completed: '--opt=VAL' as one word,
    # the same split by readline at '=' (COMP_WORDBREAKS), or '--opt VAL'.
    local opt= prefix=
    if [[ $cur == --*=* ]]; then
        opt=${cur%%=*}
        prefix=$opt=
        cur=${cur#*=}
    elif [[ $cur == = && $prev == --* ]]; then
        opt=$prev
        cur=
    elif [[ $prev == = ]] && ((cword >= 2)) && [[ ${COMP_WORDS[cword - 2]} == --* ]]; then
        opt=${COMP_WORDS[cword - 2]}
    elif _repopool_takes_value "$prev"; then
        opt=$prev
        [[ $opt == -[!-]* ]] && opt=-${opt: -1}
    fi

    if [[ -n $opt ]]; then
        case $opt in
        --git | -g)
            _repopool_words "$_repopool_git_operations"
            ;;
        --fetch-with)
            _repopool_words 'git libgit2'
            ;;
        --output)
            _repopool_words 'all last none'
            ;;
        --order)
            _repopool_words 'given longest'
            ;;
        --group | -G | --add-to | --remove-from)
            _repopool_config_names groups
            ;;
        -c)
            _repopool_config_names commands
            ;;
        --repos-from | -f)
            [[ -z $prefix ]] && _repopool_words -
            _repopool_paths
            ;;
        --scan | -s)
            _repopool_paths -d
            ;;
        --joblog)
            _repopool_paths
            ;;
        --remote)
            # The usual name, and those of the repository here, if any.
            _repopool_words "origin $(git remote 2>/dev/null)"
            ;;
        esac
        # Numbers, seconds and rates have nothing to offer.
        if [[ -n $prefix ]]; then
            local j
            for j in "${!COMPREPLY[@]}"; do
                COMPREPLY[j]=$prefix${COMPREPLY[j]}
            done
        fi
        return 0
    fi

    if [[ $cur == -* ]]; then
        _repopool_words "$_repopool_value_options $_repopool_flag_options"
        return 0
    fi

    # Repositories.
    _repopool_paths -d
    return 0
}

complete -F _repopool repopool

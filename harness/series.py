#!/usr/bin/env python3
"""Turn series/ into commits in a kernel git tree, and back.

The repository holds the new files of the patch series at their kernel paths
and series/NNNN-slug/{message,files,*.diff} per patch (see `list`).
Subcommands: build, format, check-am, checkpatch, import, list.
Exit codes: 0 ok, 1 failure, 2 usage.
"""
import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

TOP = Path(__file__).resolve().parent.parent       # the series repository
SERIES = TOP / 'series'
HEAD_FILE = 'series-head'                          # in the kernel's .git
# Kernel top-level directories that may hold the series' new files.
KERNEL_DIRS = ('Documentation', 'arch', 'block', 'crypto', 'drivers', 'fs',
               'include', 'kernel', 'lib', 'mm', 'net', 'samples', 'scripts',
               'security', 'sound', 'tools', 'virt')


class Fail(Exception):
    pass


def git(*args, cwd, env=None, data=None, binary=False, check=True):
    """Run git; return stdout (str, or bytes if binary). Raise Fail on error."""
    full_env = dict(os.environ, **(env or {}))
    if isinstance(data, str):
        data = data.encode()
    p = subprocess.run(('git',) + args, cwd=cwd, env=full_env, input=data,
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    if check and p.returncode:
        raise Fail('git %s failed:\n%s' % (' '.join(args[:3]),
                                           p.stderr.decode(errors='replace').rstrip()))
    return p.stdout if binary else p.stdout.decode()


def rev(kernel, name):
    """Commit id of name, or None."""
    out = git('rev-parse', '-q', '--verify', name + '^{commit}', cwd=kernel, check=False)
    return out.strip() or None


def identity():
    """(name, email) of whoever runs the tool, from the series repo."""
    ident = git('var', 'GIT_COMMITTER_IDENT', cwd=TOP).strip()
    m = re.match(r'(.*) <(.*)> \d+ [-+]\d{4}$', ident)
    if not m:
        raise Fail('cannot parse git identity %r' % ident)
    return m.group(1), m.group(2)


def signoff():
    return 'Signed-off-by: %s <%s>' % identity()


def commit_env():
    """Author/committer identity and a date fixed to the series repo's HEAD,
    so that rebuilding an unchanged series gives identical commit ids."""
    name, email = identity()
    date = git('log', '-1', '--format=%cI', cwd=TOP, check=False).strip()
    env = {'GIT_AUTHOR_NAME': name, 'GIT_AUTHOR_EMAIL': email,
           'GIT_COMMITTER_NAME': name, 'GIT_COMMITTER_EMAIL': email}
    if date:        # no commits yet: git uses the current time
        env['GIT_AUTHOR_DATE'] = env['GIT_COMMITTER_DATE'] = date
    return env


def head_file(kernel):
    gd = git('rev-parse', '--path-format=absolute', '--git-common-dir', cwd=kernel)
    return Path(gd.strip()) / HEAD_FILE


def patch_dirs():
    if not SERIES.is_dir():
        return []
    return sorted(d for d in SERIES.iterdir() if d.is_dir() and re.match(r'\d{4}-', d.name))


def read_list(path):
    """Lines of a `files` list, without comments and blanks."""
    if not path.exists():
        return []
    lines = (ln.split('#', 1)[0].strip() for ln in path.read_text().splitlines())
    return [ln for ln in lines if ln]


def read_message(d):
    path = d / 'message'
    if not path.exists():
        raise Fail('%s: no message file' % d.name)
    lines = path.read_text().rstrip().splitlines()
    if not lines or not lines[0].strip() or (len(lines) > 1 and lines[1].strip()):
        raise Fail('%s: message must be a subject line, a blank line, then the body' % d.name)
    return '\n'.join(ln.rstrip() for ln in lines)


def subject_of(d):
    path = d / 'message'
    return path.read_text().split('\n', 1)[0].strip() if path.exists() else ''


def add_signoff(msg):
    """Append our Signed-off-by, in the trailer block if the message ends with one."""
    sob = signoff()
    last = msg.split('\n\n')[-1].splitlines()
    if last and last[-1] == sob:
        return msg + '\n'
    is_trailers = len(msg.split('\n\n')) > 1 and all(
        re.match(r'[A-Za-z0-9-]+: ', ln) for ln in last)
    return msg + ('\n' if is_trailers else '\n\n') + sob + '\n'


def diff_paths(diff_text):
    """Paths a git-format diff touches."""
    paths = set()
    for m in re.finditer(r'^diff --git a/(\S+) b/(\S+)$', diff_text, re.M):
        paths.update(m.groups())
    return paths


def build_commits(kernel, base):
    """Create one commit per patch dir on top of base, using a temporary
    index so the kernel's work tree and index are untouched.
    Returns [(dir name, commit id)]."""
    env = commit_env()
    added = {}                                  # new file -> patch adding it
    result = []
    parent = rev(kernel, base)
    if not parent:
        raise Fail('%s has no %r commit (run harness/prepare-base)' % (kernel, base))
    with tempfile.TemporaryDirectory(prefix='series-index-') as tmp:
        ienv = dict(env, GIT_INDEX_FILE=os.path.join(tmp, 'index'))
        git('read-tree', parent, cwd=kernel, env=ienv)
        for d in patch_dirs():
            msg = add_signoff(read_message(d))
            for path in read_list(d / 'files'):
                src = TOP / path
                if not src.is_file():
                    raise Fail('%s: files lists %s, which is not in the repository' % (d.name, path))
                if path in added:
                    raise Fail('%s: %s is already added by %s' % (d.name, path, added[path]))
                if git('--literal-pathspecs', 'ls-files', '--', path, cwd=kernel, env=ienv):
                    raise Fail('%s: %s already exists in the kernel tree; '
                               'change it with a diff instead' % (d.name, path))
                sha = git('hash-object', '-w', '--no-filters', '--', str(src), cwd=kernel).strip()
                mode = '100755' if os.access(src, os.X_OK) else '100644'
                git('update-index', '--add', '--cacheinfo', '%s,%s,%s' % (mode, sha, path),
                    cwd=kernel, env=ienv)
                added[path] = d.name
            for diff in sorted(d.glob('*.diff')):
                for path in diff_paths(diff.read_text(errors='replace')) & set(added):
                    raise Fail('%s: %s changes %s, which %s adds: edit the file itself'
                               % (d.name, diff.name, path, added[path]))
                p = subprocess.run(['git', 'apply', '--cached', str(diff)], cwd=kernel,
                                   env=dict(os.environ, **ienv), capture_output=True, text=True)
                if p.returncode:
                    raise Fail('%s: %s does not apply:\n%s' % (d.name, diff.name, p.stderr.rstrip()))
            tree = git('write-tree', cwd=kernel, env=ienv).strip()
            parent = git('commit-tree', tree, '-p', parent, cwd=kernel, env=env, data=msg).strip()
            result.append((d.name, parent))
    return result


def stray_files():
    """Files in the repo's kernel directories that no patch adds."""
    listed = {p for d in patch_dirs() for p in read_list(d / 'files')}
    dirs = [d for d in KERNEL_DIRS if (TOP / d).is_dir()]
    if not dirs:
        return []
    out = git('ls-files', '-z', '--cached', '--others', '--exclude-standard', '--', *dirs, cwd=TOP)
    return [p for p in out.split('\0') if p and p not in listed and (TOP / p).exists()]


def cmd_build(a):
    k = a.kernel
    ref = 'refs/heads/' + a.branch
    old = rev(k, ref)
    hf = head_file(k)
    recorded = hf.read_text().strip() if hf.exists() else None
    if not a.force:
        if old and old != recorded:
            raise Fail('branch %s (%s) is not what build last wrote (%s): it has changes made '
                       'in the kernel tree. Run "series.py import" to keep them, or pass --force '
                       'to throw them away.' % (a.branch, old[:12], (recorded or 'nothing')[:12]))
        dirty = git('status', '--porcelain', '--untracked-files=no', cwd=k)
        if dirty:
            raise Fail('the kernel work tree has uncommitted changes:\n%s\nCommit them and run '
                       '"series.py import", or pass --force to throw them away.' % dirty.rstrip())
    for p in stray_files():
        print('warning: %s is in no patch\'s files list' % p, file=sys.stderr)
    commits = build_commits(k, 'base')
    for name, c in commits:
        print('%s %s' % (c[:12], name))
    new = commits[-1][1] if commits else rev(k, 'base')
    # checkout -B moves the branch and rewrites only files that differ from
    # the current HEAD, so make's timestamps stay valid for unchanged files.
    git('checkout', '-q', *(['-f'] if a.force else []), '-B', a.branch, new, cwd=k)
    hf.write_text(new + '\n')
    print('%s is at %s' % (a.branch, new[:12]))


def numbered_patches(pdir):
    ps = sorted(Path(pdir).glob('[0-9][0-9][0-9][0-9]-*.patch'))
    ps = [p for p in ps if not p.name.startswith('0000-')]
    if not ps:
        raise Fail('no patches in %s (run "series.py format" first)' % pdir)
    return ps


def cmd_format(a):
    k, out = a.kernel, Path(a.out)
    if not rev(k, a.branch):
        raise Fail('no branch %s in %s: run "series.py build" first' % (a.branch, k))
    hf = head_file(k)
    if not hf.exists() or hf.read_text().strip() != rev(k, a.branch):
        print('warning: %s differs from what build wrote; series/ may not match' % a.branch,
              file=sys.stderr)
    out.mkdir(parents=True, exist_ok=True)
    for old in out.glob('*.patch'):             # only our own output, nothing else
        old.unlink()
    # commit_env() also fixes the cover letter's From and Date, which
    # format-patch takes from the committer identity.
    git('format-patch', '-q', '--numbered', '--cover-letter', '--base=base',
        '-o', str(out.resolve()), 'base..' + a.branch, cwd=k, env=commit_env())
    cl = SERIES / 'cover-letter'
    cover = out / '0000-cover-letter.patch'
    if not cl.exists():
        print('warning: no series/cover-letter; placeholders left', file=sys.stderr)
    elif cover.exists():
        subject, _, blurb = cl.read_text().partition('\n')
        text = cover.read_text()
        text = text.replace('*** SUBJECT HERE ***', subject.strip())
        text = text.replace('*** BLURB HERE ***', blurb.strip())
        cover.write_text(text)
    for p in sorted(out.glob('*.patch')):
        print(p)


def messages(kernel, tip):
    return git('log', '--format=%B%x00', 'base..' + tip, cwd=kernel)


def cmd_check_am(a):
    k = a.kernel
    patches = [str(p.resolve()) for p in numbered_patches(a.patches)]
    want = rev(k, a.branch)
    if not want:
        raise Fail('no branch %s in %s' % (a.branch, k))
    scratch = TOP / 'out'
    scratch.mkdir(exist_ok=True)
    tmp = tempfile.mkdtemp(prefix='check-am-', dir=scratch)
    wt = os.path.join(tmp, 'wt')
    failed = 0
    print('KTAP version 1\n1..3')
    try:
        git('worktree', 'add', '-q', '--detach', wt, 'base', cwd=k)
        p = subprocess.run(['git', 'am', '-q', *patches], cwd=wt, capture_output=True, text=True,
                           env=dict(os.environ, **commit_env()))
        ok = p.returncode == 0
        print('%s 1 - series applies with git am' % ('ok' if ok else 'not ok'))
        if not ok:
            failed = 1
            for ln in (p.stdout + p.stderr).splitlines():
                print('    # ' + ln)
            print('ok 2 - tree equals %s # SKIP git am failed' % a.branch)
            print('ok 3 - messages equal %s # SKIP git am failed' % a.branch)
        else:
            got = git('rev-parse', 'HEAD^{tree}', cwd=wt).strip()
            ok = got == git('rev-parse', want + '^{tree}', cwd=k).strip()
            failed |= not ok
            print('%s 2 - tree equals %s' % ('ok' if ok else 'not ok', a.branch))
            # A '---' line or similar in a message would be cut by git am.
            ok = messages(k, git('rev-parse', 'HEAD', cwd=wt).strip()) == messages(k, want)
            failed |= not ok
            print('%s 3 - messages equal %s' % ('ok' if ok else 'not ok', a.branch))
    finally:
        git('worktree', 'remove', '--force', wt, cwd=k, check=False)
        shutil.rmtree(tmp, ignore_errors=True)
        git('worktree', 'prune', cwd=k, check=False)
    return 1 if failed else 0


def cmd_checkpatch(a):
    k = Path(a.kernel).resolve()
    script = k / 'scripts' / 'checkpatch.pl'
    if not script.exists():
        raise Fail('%s not found' % script)
    patches = numbered_patches(a.patches)
    print('KTAP version 1\n1..%d' % len(patches))
    ignore = 'FILE_PATH_CHANGES'
    # A base made from a source tarball is one root commit: checkpatch
    # cannot look up the commits that Fixes: tags name. With a kernel git
    # tree as base (KERNEL_SRC), it does.
    if git('rev-list', '--count', 'base', cwd=k).strip() == '1':
        ignore += ',UNKNOWN_COMMIT_ID'
    failed = 0
    for n, p in enumerate(patches, 1):
        # "does MAINTAINERS need updating?" is asked of every new file; the
        # check script answers it with get_maintainer.pl instead.
        # The system python3 has the modules scripts/spdxcheck.py needs
        # (python3-ply, python3-git); another one first in PATH may not.
        env = dict(os.environ, PATH='/usr/bin:' + os.environ.get('PATH', ''))
        r = subprocess.run(['perl', str(script), '--strict', '--color=never',
                            '--ignore', ignore, str(p.resolve())],
                           cwd=k, capture_output=True, text=True, env=env)
        out = r.stdout + r.stderr
        # --strict: any ERROR, WARNING or CHECK fails, whatever the exit code says.
        m = re.search(r'total: (\d+) errors, (\d+) warnings, (?:(\d+) checks, )?', out)
        ok = r.returncode == 0 and m and not any(int(x or 0) for x in m.groups())
        # A helper that crashed (spdxcheck.py) checked nothing.
        ok = ok and 'Traceback' not in out
        failed |= not ok
        print('%s %d - checkpatch: %s' % ('ok' if ok else 'not ok', n, p.name))
        if not ok:
            for ln in out.rstrip().splitlines():
                print('    # ' + ln)
    return 1 if failed else 0


def slug(subject):
    s = re.sub(r'[^a-z0-9]+', '-', subject.lower()).strip('-')
    return s[:52].rstrip('-') or 'patch'


def cmd_import(a):
    k = a.kernel
    base, tip = rev(k, a.from_), rev(k, a.to)
    if not base or not tip:
        raise Fail('%s or %s not found in %s' % (a.from_, a.to, k))
    if git('status', '--porcelain', '--untracked-files=no', cwd=k):
        print('warning: uncommitted changes in the kernel tree are not imported', file=sys.stderr)
    commits = git('rev-list', '--reverse', '--first-parent', base + '..' + tip, cwd=k).split()
    sob = signoff()
    added = {}                                  # new file -> commit adding it
    patches = []
    # Read everything first, so an error leaves series/ untouched.
    for n, c in enumerate(commits, 1):
        raw = git('cat-file', 'commit', c, cwd=k)
        lines = raw.partition('\n\n')[2].rstrip().splitlines()
        while lines and lines[-1].strip() == sob:
            lines.pop()
        msg = '\n'.join(lines).rstrip()
        subject = msg.split('\n', 1)[0]
        short = '%s ("%s")' % (c[:12], subject)
        st = git('diff-tree', '-r', '-z', '--no-renames', '--raw', c + '^', c, cwd=k).split('\0')
        new, changed = [], []
        for meta, path in zip(st[0::2], st[1::2]):
            mode, status = meta.split()[1], meta.split()[-1]
            if path in added:
                raise Fail('commit %s modifies %s, which %s adds: squash it into that commit '
                           '(git rebase -i --autosquash base) and run import again'
                           % (short, path, added[path]))
            in_base = subprocess.run(['git', 'cat-file', '-e', '%s:%s' % (base, path)], cwd=k,
                                     capture_output=True).returncode == 0
            if status == 'A' and not in_base:
                if path.split('/')[0] in ('series', 'harness', 'out'):
                    raise Fail('commit %s adds %s, which would clash with the series '
                               'repository\'s own files' % (short, path))
                if mode not in ('100644', '100755'):
                    raise Fail('commit %s adds %s with mode %s: only regular files are supported'
                               % (short, path, mode))
                new.append((path, mode))
                added[path] = short
            else:
                changed.append(path)
        diff = git('--literal-pathspecs', 'diff-tree', '-p', '--full-index', '--binary',
                   '--no-renames', c + '^', c, '--', *changed, cwd=k, binary=True) if changed else b''
        patches.append([n, subject, msg, new, diff, c])
    # Keep a patch's directory name when its subject is unchanged (less churn).
    old_names = {subject_of(d): d.name[5:] for d in patch_dirs()}
    for p in patches:
        p[:2] = ['%04d-%s' % (p[0], old_names.get(p[1]) or slug(p[1]))]
    old_files = {p for d in patch_dirs() for p in read_list(d / 'files')}
    for d in patch_dirs():
        shutil.rmtree(d)
    for name, msg, new, diff, c in patches:
        d = SERIES / name
        d.mkdir(parents=True)
        (d / 'message').write_text(msg + '\n')
        if new:
            (d / 'files').write_text(''.join(p + '\n' for p, _ in new))
        if diff:
            (d / 'changes.diff').write_bytes(diff)
        for path, mode in new:
            dst = TOP / path
            blob = git('cat-file', 'blob', '%s:%s' % (c, path), cwd=k, binary=True)
            if not dst.is_file() or dst.read_bytes() != blob:
                dst.parent.mkdir(parents=True, exist_ok=True)
                dst.write_bytes(blob)
            dst.chmod(0o755 if mode == '100755' else 0o644)
        print('%s %s' % (c[:12], name))
    for path in sorted(old_files - set(added)):
        if (TOP / path).exists():
            (TOP / path).unlink()
            print('removed %s (no patch adds it any more)' % path)
            parent = (TOP / path).parent
            while parent != TOP and not any(parent.iterdir()):
                parent.rmdir()
                parent = parent.parent
    # Check that build reproduces every imported commit's tree.
    rebuilt = build_commits(k, a.from_)
    if len(rebuilt) != len(patches):
        raise Fail('build made %d commits, not %d' % (len(rebuilt), len(patches)))
    for (name, mine), (_, _, _, _, theirs) in zip(rebuilt, patches):
        t1, t2 = (git('rev-parse', x + '^{tree}', cwd=k).strip() for x in (mine, theirs))
        if t1 != t2:
            raise Fail('%s: rebuilt tree %s differs from %s\'s %s' % (name, t1[:12], theirs[:12], t2[:12]))
    print('verified: build reproduces the %d commits\' trees' % len(patches))
    head_file(k).write_text(tip + '\n')        # allow the next build to replace them


def cmd_list(a):
    for d in patch_dirs():
        print('%s  %s' % (d.name, subject_of(d) or '(no message)'))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    sub = ap.add_subparsers(dest='cmd', required=True)
    kernel = str(TOP / 'out' / 'linux')
    patches = str(TOP / 'out' / 'series')

    def cmd(name, func, help):
        p = sub.add_parser(name, help=help)
        p.set_defaults(func=func)
        if name != 'list':
            p.add_argument('--kernel', default=kernel, help='kernel git tree (default out/linux)')
        return p

    p = cmd('build', cmd_build, 'commit series/ onto tag base in the kernel tree')
    p.add_argument('--branch', default='series')
    p.add_argument('--force', action='store_true', help='overwrite changes in the kernel tree')
    p = cmd('format', cmd_format, 'git format-patch the series with a cover letter')
    p.add_argument('--out', default=patches)
    p.add_argument('--branch', default='series')
    for name, func in (('check-am', cmd_check_am), ('checkpatch', cmd_checkpatch)):
        p = cmd(name, func, 'check the formatted patches with ' + name.replace('check-', 'git '))
        p.add_argument('--patches', default=patches)
        p.add_argument('--branch', default='series')
    p = cmd('import', cmd_import, 'rewrite series/ from the kernel commits base..series')
    p.add_argument('--from', dest='from_', default='base')
    p.add_argument('--to', default='series')
    cmd('list', cmd_list, 'list the patches')
    a = ap.parse_args()
    if hasattr(a, 'kernel') and not Path(a.kernel, '.git').exists():
        print('series.py: %s is not a git tree' % a.kernel, file=sys.stderr)
        return 1
    try:
        return a.func(a) or 0
    except Fail as e:
        print('series.py %s: error: %s' % (a.cmd, e), file=sys.stderr)
        return 1


if __name__ == '__main__':
    sys.exit(main())

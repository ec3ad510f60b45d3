#!/usr/bin/env bash
# Checks a .deb that mkdeb.sh built: the control fields apt needs, the
# files the desktop and apt remove rely on, the maintainer scripts, and
# lintian's verdict, when lintian is installed: its errors fail, its
# warnings are printed. LINTIAN=0 leaves lintian out (the Go tests do:
# it takes seconds even on a small package).
# Usage: packaging/linux/deb-check.sh FILE.deb
set -euo pipefail
deb=$1
fail() { echo "deb-check: FAIL: $*" >&2; exit 1; }
info=$(dpkg-deb --info "$deb") || fail "dpkg-deb --info $deb"
for f in Package Version Architecture Maintainer Installed-Size Depends Section Priority Description; do
	grep -q "^ $f: ." <<<"$info" || fail "no $f field in $deb"
done
depends=$(dpkg-deb --field "$deb" Depends)
grep -q 'libc6 (>= ' <<<"$depends" || fail "Depends lacks libc6 with a version: $depends"
for lib in libegl1 libgles2; do # opened with dlopen, so added by hand
	grep -Eq "(^|, )$lib(,|$)" <<<"$depends" || fail "Depends lacks $lib: $depends"
done
for s in postinst postrm md5sums; do
	grep -Eq "^ +[0-9]+ bytes, +[0-9]+ lines +[*]? +$s( |$)" <<<"$info" || fail "no $s in $deb"
done
contents=$(dpkg-deb --contents "$deb")
for p in usr/bin/visionflow usr/share/applications/visionflow.desktop \
	usr/share/icons/hicolor/scalable/apps/visionflow.svg usr/share/icons/hicolor/256x256/apps/visionflow.png \
	usr/share/doc/visionflow/copyright usr/share/doc/visionflow/changelog.gz usr/share/man/man1/visionflow.1.gz; do
	grep -q " \./$p\$" <<<"$contents" || fail "no /$p in $deb"
done
grep -q '^-rwxr-xr-x root/root .* \./usr/bin/visionflow$' <<<"$contents" || fail "/usr/bin/visionflow is not root's, mode 755"
if grep -v ' root/root ' <<<"$contents" | grep -q .; then fail "files not owned by root"; fi
echo "deb-check: $deb: $(dpkg-deb --field "$deb" Package) $(dpkg-deb --field "$deb" Version) $(dpkg-deb --field "$deb" Architecture), $(grep -c . <<<"$contents") entries"
echo "deb-check: Depends: $depends"
if [ "${LINTIAN:-1}" = 0 ]; then
	echo "deb-check: lintian left out (LINTIAN=0)"
elif command -v lintian >/dev/null; then
	lintian --fail-on error --display-info "$deb" 2> >(grep -v 'running with root privileges' >&2) || fail "lintian found errors"
	echo "deb-check: lintian found no errors"
else
	echo "deb-check: lintian not installed: not run"
fi

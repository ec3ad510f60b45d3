#!/bin/sh
# Prints VERSION (what `git describe --tags --always --dirty` says, or a
# tag) in a form a package format accepts:
#   numeric  1.2.3, for fields that take only numbers (Windows' file
#            version, macOS's CFBundleShortVersionString)
#   deb      a Debian version that sorts right: a tag as it is, a build
#            after a tag as 1.2.3+4.gabcdef, anything else (an untagged
#            hash, -rc1, -dirty) as a pre-release of the version named
#            by app.Version, e.g. 0.1.0~git.e51f9f2.dirty
# Usage: packaging/version.sh numeric|deb VERSION
set -eu
form=$1
v=${2#v}
# Untagged builds take the version the code calls itself.
base=$(sed -n 's/^var Version = "\([0-9][0-9.]*\).*/\1/p' "$(dirname "$0")/../app/session.go")
num=$(printf '%s\n' "$v" | sed -n 's/^\([0-9][0-9]*\(\.[0-9][0-9]*\)\{0,2\}\).*/\1/p')
# A hash may start with digits too: a version has a dot or was tagged vN,
# and ends where git describe's suffix starts.
case $num in
*.*) ;;
*) [ "$2" != "$v" ] || num= ;;
esac
case ${v#"$num"} in
"" | [-+~.]*) ;;
*) num= ;;
esac
if [ -n "$num" ]; then
	rest=$(printf '%s\n' "${v#"$num"}" | sed 's/^[-.+~]*//')
	case $(printf '%s\n' "$num" | tr -cd . | wc -c) in
	0) num=$num.0.0 ;;
	1) num=$num.0 ;;
	esac
	case $rest in
	"") sep= ;;
	[0-9]*-g*) sep=+ ;; # git describe: N commits after the tag
	*) sep="~" ;;
	esac
else
	num=${base:-0.0.0} rest=git.$v sep="~"
fi
case $form in
numeric) echo "$num" ;;
deb) echo "$num$sep$(printf '%s' "$rest" | tr -c 'A-Za-z0-9.+~' '.')" ;;
*)
	echo "usage: $0 numeric|deb VERSION" >&2
	exit 2
	;;
esac

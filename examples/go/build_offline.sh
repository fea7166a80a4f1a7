#!/bin/sh
# Builds this example with Debian's Go toolchain and Go libraries, with no network at all.
#
#   apt-get install golang-go golang-google-grpc-dev golang-google-protobuf-dev \
#       golang-github-golang-protobuf-1-5-dev golang-google-genproto-dev
#   examples/go/build_offline.sh /tmp/follow_task
#
# Debian ships Go libraries as sources under /usr/share/gocode/src and builds its own Go
# packages in GOPATH mode; so does this script, with a throwaway GOPATH in which this repository
# appears at its module path. Module mode offline would need the go.mod of every module in
# grpc-go 1.33's (unpruned) requirement graph, which Debian does not ship.
set -eu
out=${1:?usage: build_offline.sh OUTPUT}
case $out in /*) ;; *) out="$PWD/$out" ;; esac
root=$(cd "$(dirname "$0")/../.." && pwd)
gopath=$(mktemp -d)
trap 'rm -rf "$gopath"' EXIT
mkdir -p "$gopath/src/github.com/bengobox"
ln -s "$root" "$gopath/src/github.com/bengobox/logistics"
cd "$gopath"
GO111MODULE=off GOPATH="$gopath:${GOCODE:-/usr/share/gocode}" GOFLAGS= GOPROXY=off \
	go build -o "$out" github.com/bengobox/logistics/examples/go

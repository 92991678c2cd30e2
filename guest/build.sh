#!/usr/bin/env bash
# Builds the tiny test guest: a Debian bookworm kernel plus a gzip initramfs that runs spice-webdavd.
# Output: guest/cache/<hash>/{vmlinuz,initrd.gz}; the directory path is printed as the last line.
#
# Only `apt-get download` and `dpkg -x` into temporary directories are used: nothing is installed on the
# host. The hash covers this script, everything under guest/rootfs/ and the exact package versions that
# apt resolves, so a Debian security update or an edit to the init script gives a fresh build while an
# unchanged input set is a cache hit (no downloads, well under a second).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cache="${SPICE_WEBDAV_GUEST_CACHE:-$here/cache}" # override when guest/ is read-only
rootfs_src="$here/rootfs"
debs="$cache/debs"
arch=amd64
multiarch=x86_64-linux-gnu

# The programs the guest runs. Their library packages are found by walking Depends (lib* only, first
# alternative), and the libraries actually copied are then resolved from the ELF NEEDED entries.
top_packages=(busybox-static spice-webdavd socat curl dbus-daemon avahi-daemon)
guest_binaries=(usr/sbin/spice-webdavd usr/bin/socat usr/bin/curl usr/bin/dbus-daemon usr/sbin/avahi-daemon)
# Kernel modules the guest needs; their dependencies are added and ordered from each .ko's depends=.
wanted_modules=(virtio_pci virtio_console virtio_net)

log() { echo "guest/build.sh: $*" >&2; }
die() { log "error: $*"; exit 1; }

apt_opts=()
[[ $(id -u) -eq 0 ]] && apt_opts=(-o APT::Sandbox::User=root)

# --- resolve the package set -------------------------------------------------------------------------
# apt-cache needs a few seconds per call here, so the resolved list is memoised under a key made of this
# script and the apt package lists' names, sizes and times: a warm build does no apt work at all.
apt_lists_key() {
  {
    sha256sum "$here/build.sh"
    find /var/lib/apt/lists /etc/apt -maxdepth 2 -type f -printf '%p %s %T@\n' 2>/dev/null | LC_ALL=C sort
  } | sha256sum | cut -c1-16
}

dependency_tree() { # one recursive apt-cache call; the walk below keeps only what the guest needs
  apt-cache depends --recurse --no-recommends --no-suggests --no-conflicts --no-breaks --no-replaces \
    --no-enhances linux-image-amd64 "${top_packages[@]}" 2>/dev/null
}

# From the roots, follow Depends (first alternative, virtual packages skipped) into library packages
# only (lib*, zlib1g), and from the linux-image-amd64 metapackage into the versioned kernel image.
walk_tree() {
  awk -v roots="linux-image-amd64 ${top_packages[*]}" '
    /^[^ ]/ { pkg = $1; skip = 0; next }
    /^  \|?(Pre)?Depends: / {
      alt = ($1 ~ /^\|/)
      if (skip) { skip = alt; next }
      skip = alt
      if ($2 !~ /^</) deps[pkg] = deps[pkg] " " $2
    }
    END {
      n = split(roots, queue, " ")
      for (i = 1; i <= n; i++) seen[queue[i]] = 1
      for (i = 1; i <= n; i++) {
        p = queue[i]
        m = split(deps[p], ds, " ")
        for (j = 1; j <= m; j++) {
          d = ds[j]
          follow = (d ~ /^lib/ || d == "zlib1g" || (p == "linux-image-amd64" && d ~ /^linux-image-/))
          if (follow && !(d in seen)) { seen[d] = 1; queue[++n] = d }
        }
      }
      for (p in seen) if (p != "linux-image-amd64") print p
    }' | LC_ALL=C sort
}

resolve_package_versions() { # name=version lines for the candidate versions (what apt-get download fetches)
  local tree packages versions
  tree="$(dependency_tree)"
  grep -q '^linux-image-amd64$' <<<"$tree" || return 1
  mapfile -t packages < <(walk_tree <<<"$tree")
  versions="$(apt-cache show --no-all-versions "${packages[@]}" 2>/dev/null |
    awk '/^Package: / { p = $2 } /^Version: / { print p "=" $2 }' | LC_ALL=C sort -u)"
  [[ $(wc -l <<<"$versions") -eq ${#packages[@]} ]] ||
    die "could not resolve a single candidate version for every package: ${packages[*]}"
  grep -q '^linux-image-.*-amd64=' <<<"$versions" || die "linux-image-amd64 did not resolve to a kernel image"
  echo "$versions"
}

mkdir -p "$cache"
resolved_memo="$cache/resolved-$(apt_lists_key).txt"
if [[ -s "$resolved_memo" ]]; then
  package_versions="$(cat "$resolved_memo")"
else
  if ! package_versions="$(resolve_package_versions)"; then
    log "apt does not know linux-image-amd64; running apt-get update"
    apt-get update -qq "${apt_opts[@]}" >&2 ||
      die "apt-get update failed; the builder needs the Debian bookworm package lists"
    resolved_memo="$cache/resolved-$(apt_lists_key).txt"
    package_versions="$(resolve_package_versions)" ||
      die "cannot resolve linux-image-amd64; is this a Debian bookworm host with deb.debian.org reachable?"
  fi
  rm -f "$cache"/resolved-*.txt # memos of older package lists or builder versions
  echo "$package_versions" >"$resolved_memo.tmp.$$" && mv "$resolved_memo.tmp.$$" "$resolved_memo"
fi
kernel_pkg="$(sed -n 's/^\(linux-image-[^=]*\)=.*/\1/p' <<<"$package_versions")"

# --- cache lookup -------------------------------------------------------------------------------------
hash="$({
  sha256sum "$here/build.sh"
  (cd "$rootfs_src" && find . -type f | LC_ALL=C sort | xargs sha256sum)
  echo "$package_versions"
} | sha256sum | cut -c1-16)"
out="$cache/$hash"

is_built() { [[ -s "$out/vmlinuz" && -s "$out/initrd.gz" ]]; }
if is_built; then
  touch "$out" # marks it as in use for the pruning of old builds below
  echo "$out"
  exit 0
fi

mkdir -p "$cache" "$debs"
exec 9>"$cache/.lock"
flock 9 # another build of the same inputs may be running (parallel test workers)
if is_built; then
  echo "$out"
  exit 0
fi

started=$SECONDS
work="$(mktemp -d "${TMPDIR:-/tmp}/spiceweb-guest.XXXXXX")"
trap 'rm -rf "$work"' EXIT

# --- download and unpack ------------------------------------------------------------------------------
deb_file() { # name version -> the file name apt-get download writes (epoch colon becomes %3a)
  local name="$1" version="${2//:/%3a}"
  compgen -G "$debs/${name}_${version}_*.deb" | head -n1 || true
}

missing=()
while IFS='=' read -r name version; do
  [[ -n "$(deb_file "$name" "$version")" ]] || missing+=("$name=$version")
done <<<"$package_versions"
if ((${#missing[@]})); then
  log "downloading ${#missing[@]} packages"
  (cd "$debs" && apt-get download -q "${apt_opts[@]}" "${missing[@]}" >&2) ||
    die "apt-get download failed; check the network access to the Debian mirror"
fi

pkgroot="$work/pkgs"
mkdir -p "$pkgroot"
while IFS='=' read -r name version; do
  dpkg -x "$(deb_file "$name" "$version")" "$pkgroot"
done <<<"$package_versions"

# --- assemble the root file system ---------------------------------------------------------------------
root="$work/root"
libdir="$root/lib/$multiarch"
mkdir -p "$root"/{bin,sbin,usr/bin,usr/sbin,lib64,proc,sys,dev,tmp,run,var,etc/avahi/services,root} "$libdir"
cp -a "$rootfs_src/." "$root/"
chmod 1777 "$root/tmp"

# busybox: every applet as a symlink, without overriding the real programs copied below.
cp "$pkgroot/bin/busybox" "$root/bin/busybox"
for applet in $("$pkgroot/bin/busybox" --list); do
  [[ -e "$root/bin/$applet" ]] || ln -s busybox "$root/bin/$applet"
done

lib_search_dirs=("$pkgroot/lib/$multiarch" "$pkgroot/usr/lib/$multiarch" "$pkgroot/lib" "$pkgroot/usr/lib")
loader="$pkgroot/lib64/ld-linux-x86-64.so.2"
library_path="$(IFS=:; echo "${lib_search_dirs[*]}")"
copy_with_libraries() { # like ldd, but with the guest's own loader and library dirs (no host libraries)
  local listing name path
  listing="$("$loader" --library-path "$library_path" --list "$1")" || die "cannot list the libraries of $1"
  if grep -q 'not found' <<<"$listing"; then
    die "no package provides $(grep 'not found' <<<"$listing" | awk '{ print $1 }' | xargs) (needed by ${1#"$pkgroot"/})"
  fi
  while read -r name _ path _; do
    # Skip the vDSO and the loader's own line (name is a path); the loader is copied below.
    if [[ "$name" != /* && "$path" == "$pkgroot"/* ]]; then cp -L "$path" "$libdir/$name"; fi
  done <<<"$listing"
}

for binary in "${guest_binaries[@]}"; do
  [[ -f "$pkgroot/$binary" ]] || die "$binary is missing from the unpacked packages"
  cp -L "$pkgroot/$binary" "$root/$binary"
  copy_with_libraries "$pkgroot/$binary"
done
cp -L "$pkgroot/lib64/ld-linux-x86-64.so.2" "$root/lib64/ld-linux-x86-64.so.2"
ln -s ../lib "$root/usr/lib" # /usr/lib/<multiarch> and /lib/<multiarch> are the same directory
# avahi's D-Bus introspection data and service type database (small, read at start-up).
[[ -d "$pkgroot/usr/share/avahi" ]] && mkdir -p "$root/usr/share" && cp -a "$pkgroot/usr/share/avahi" "$root/usr/share/"

# --- kernel and modules ---------------------------------------------------------------------------------
kver="$(basename "$(ls -d "$pkgroot"/lib/modules/*)")"
moddir="$pkgroot/lib/modules/$kver"
module_path() { find "$moddir/kernel" -name "$1.ko" -print -quit; }
module_depends() { # name -> its depends= list, one per line (the .deb ships no modules.dep)
  grep -a -o -P '\x00depends=[A-Za-z0-9_,-]*' "$(module_path "$1")" | head -n1 | sed 's/^.depends=//' | tr ',' '\n' |
    sed '/^$/d'
}
declare -A module_done=()
module_order=()
add_module() { # depth-first: dependencies first
  local dep
  [[ -n "${module_done[$1]:-}" ]] && return 0
  module_done[$1]=1
  [[ -n "$(module_path "$1")" ]] || die "kernel module $1 not found in $kernel_pkg"
  for dep in $(module_depends "$1"); do add_module "$dep"; done
  module_order+=("$1")
}
for m in "${wanted_modules[@]}"; do add_module "$m"; done
mkdir -p "$root/lib/modules"
for m in "${module_order[@]}"; do
  cp "$(module_path "$m")" "$root/lib/modules/$m.ko"
  echo "$m" >>"$root/etc/modules-order"
done

# --- pack ----------------------------------------------------------------------------------------------
staging="$work/out"
mkdir -p "$staging"
cp "$pkgroot/boot/vmlinuz-$kver" "$staging/vmlinuz"
(cd "$root" && find . -mindepth 1 | LC_ALL=C sort | cpio --quiet -o -H newc --owner=0:0 | gzip -6 >"$staging/initrd.gz")
{
  echo "kernel=$kver"
  echo "modules=${module_order[*]}"
  echo "$package_versions"
} >"$staging/manifest.txt"

rm -rf "$out"
mv "$staging" "$out"
# Builds from other inputs that nobody used for a week go; a running QEMU has already read its files.
find "$cache" -mindepth 1 -maxdepth 1 -type d -regex '.*/[0-9a-f]\{16\}' ! -path "$out" -mtime +7 -exec rm -rf {} + 2>/dev/null || true
log "built $out in $((SECONDS - started)) s (initrd $(du -h "$out/initrd.gz" | cut -f1))"
echo "$out"

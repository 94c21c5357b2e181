#!/usr/bin/env bash
# make test-deb: installs the built .debs on this machine, runs controld
# (under systemd when systemd runs, else the unit's own ExecStart as its
# User= under setpriv) and the system nginx binary with the packaged
# snippets on a free loopback port, sends requests through, then purges the
# packages and checks that nothing is left but what Debian policy keeps
# (the ngx-llm system user).  /etc/nginx is compared before and after.
#
# The machine is shared: one run at a time (flock), nginx is started with
# its own -c/-p in a temp dir (never the system service, never port 80),
# and the packages are purged whatever happens.
set -uo pipefail

DEBS=$(cd "${1:?usage: run.sh DEB_DIR}" && pwd)
UNIT=/lib/systemd/system/ngx-llm-controld.service
PKGS="ngx-llm libnginx-mod-http-llm"
T=$(mktemp -d /tmp/ngx-llm-deb.XXXXXX)
pass=0 fail=0
NGINX_PID= CONTROLD_PID= SYSTEMD=0

ok()   { echo "ok - $*"; pass=$((pass + 1)); }
bad()  { echo "not ok - $*"; fail=$((fail + 1)); }
check() { local what=$1; shift; if "$@" >"$T/check.log" 2>&1; then ok "$what"; else bad "$what"; tail -5 "$T/check.log" | sed 's/^/#   /'; fi; }

apt_quiet() {
    DEBIAN_FRONTEND=noninteractive apt-get -y -qq -o DPkg::Lock::Timeout=600 "$@" \
        >>"$T/apt.log" 2>&1
}

stop_all() {
    if [ -n "$NGINX_PID" ] && kill -0 "$NGINX_PID" 2>/dev/null; then
        kill -QUIT "$NGINX_PID"
        for _ in $(seq 50); do kill -0 "$NGINX_PID" 2>/dev/null || break; sleep 0.1; done
        kill -KILL "$NGINX_PID" 2>/dev/null
    fi
    NGINX_PID=
    if [ "$SYSTEMD" = 1 ]; then
        systemctl stop ngx-llm-controld 2>/dev/null
    elif [ -n "$CONTROLD_PID" ]; then
        kill -TERM "$CONTROLD_PID" 2>/dev/null
        wait "$CONTROLD_PID" 2>/dev/null
    fi
    CONTROLD_PID=
}

cleanup() {
    stop_all
    apt_quiet purge $PKGS
    rm -rf "$T"
}

exec 9>/run/lock/ngx-llm-test-deb.lock
flock -w 900 9 || { echo "test-deb: another run holds the lock"; exit 1; }

# a previous run that died may have left the packages: purge them first
apt_quiet purge $PKGS
snapshot_etc_nginx() {
    find /etc/nginx -printf '%p %y %l\n' | sort
    find /etc/nginx -type f -exec md5sum {} + | sort
}
snapshot_etc_nginx > "$T/etc-nginx.before"
trap cleanup EXIT

echo "# installing $(ls "$DEBS"/*.deb | grep -v dbgsym | xargs -n1 basename | tr '\n' ' ')"
check "apt-get install ./libnginx-mod-http-llm ./ngx-llm" \
    apt_quiet install "$DEBS"/libnginx-mod-http-llm_*.deb "$DEBS"/ngx-llm_*_*.deb
check "module in nginx's module dir" test -f /usr/lib/nginx/modules/ngx_http_llm_module.so
check "module enabled (modules-enabled/50-mod-http-llm.conf)" \
    grep -q 'load_module modules/ngx_http_llm_module.so;' /etc/nginx/modules-enabled/50-mod-http-llm.conf
check "depends on the nginx ABI it was built for" \
    sh -c "dpkg-query -W -f='\${Depends}' libnginx-mod-http-llm | grep -q \"\$(dpkg-query -W -f='\${Provides}' nginx | grep -o 'nginx-abi-[^, ]*')\""
check "config.yaml is a conffile" sh -c "dpkg-query -W -f='\${Conffiles}' ngx-llm | grep -q /etc/ngx_llm/config.yaml"
check "system user ngx-llm" getent passwd ngx-llm
check "master key generated, 0640 root:ngx-llm" \
    sh -c '[ "$(stat -c %a:%U:%G /etc/ngx_llm/env)" = 640:root:ngx-llm ] && grep -q "^LITELLM_MASTER_KEY=sk-" /etc/ngx_llm/env'
check "/run/ngx_llm from tmpfiles (2750 ngx-llm:www-data)" \
    sh -c '[ "$(stat -c %a:%U:%G /run/ngx_llm)" = 2750:ngx-llm:www-data ]'
check "stock nginx.conf still valid with the module enabled" /usr/sbin/nginx -t -q
check "systemd-analyze verify $UNIT" systemd-analyze verify "$UNIT"
check "man pages" test -f /usr/share/man/man1/llmctl.1.gz -a -f /usr/share/man/man8/controld.8.gz
check "controld --check on the packaged config" \
    /usr/sbin/controld --check --config /etc/ngx_llm/config.yaml --env /etc/ngx_llm/env

KEY=$(sed -n 's/^LITELLM_MASTER_KEY=//p' /etc/ngx_llm/env)

# controld: systemd when it runs here, else the unit's ExecStart as its user
if [ -d /run/systemd/system ] && systemctl is-system-running >/dev/null 2>&1; then
    SYSTEMD=1
    check "systemctl start ngx-llm-controld" systemctl start ngx-llm-controld
else
    echo "# no running systemd: the unit's ExecStart under setpriv as User=ngx-llm"
    exec_start=$(sed -n 's/^ExecStart=//p' "$UNIT")
    # shellcheck disable=SC2086
    setpriv --reuid ngx-llm --regid ngx-llm --init-groups --no-new-privs \
        env -i PATH=/usr/sbin:/usr/bin $exec_start >"$T/controld.log" 2>&1 &
    CONTROLD_PID=$!
fi

# the system nginx binary with the packaged snippets, on a free port
PORT=$(node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')
mkdir -p "$T/logs"
cat > "$T/nginx.conf" <<CONF
include /etc/nginx/modules-enabled/*.conf;
user www-data;
worker_processes 2;
pid $T/nginx.pid;
error_log $T/logs/error.log warn;
events { worker_connections 256; }
http {
    access_log $T/logs/access.log;
    client_body_temp_path $T/body;
    proxy_temp_path $T/proxy;
    include /etc/ngx_llm/llm_http.conf;
    server {
        listen 127.0.0.1:$PORT;
        include /etc/ngx_llm/llm_site.conf;
    }
}
CONF
check "nginx -t with llm_http.conf + llm_site.conf" /usr/sbin/nginx -t -q -c "$T/nginx.conf"
check "nginx -t with llm_server.conf" sh -c \
    "sed 's|listen 127.0.0.1:$PORT;|listen 127.0.0.1:$PORT;|; s|server {|include /etc/ngx_llm/llm_server.conf;\n    server {|' '$T/nginx.conf' > '$T/nginx-server.conf' && /usr/sbin/nginx -t -q -c '$T/nginx-server.conf'"
/usr/sbin/nginx -c "$T/nginx.conf" -g 'daemon off; master_process on;' 2>>"$T/logs/error.log" &
NGINX_PID=$!

ready=0
for _ in $(seq 100); do
    code=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PORT/health/readiness")
    [ "$code" = 200 ] && { ready=1; break; }
    sleep 0.2
done
[ $ready = 1 ] && ok "gateway ready (controld published to nginx)" \
    || { bad "gateway ready"; tail -20 "$T/logs/error.log" "$T/controld.log" 2>/dev/null | sed 's/^/#   /'; }

chat() {
    curl -s -w '\n%{http_code}' "http://127.0.0.1:$PORT/v1/chat/completions" \
        -H "Authorization: Bearer $1" -H 'Content-Type: application/json' \
        -d '{"model":"demo","messages":[{"role":"user","content":"Hello"}]}'
}
out=$(chat "$KEY")
[[ "$out" == *"Hello from ngx_llm"* && "$out" == *$'\n200' ]] \
    && ok "chat completion with the master key" || bad "chat completion: $out"

# the management API reaches controld's socket from nginx's workers
gen=$(curl -s "http://127.0.0.1:$PORT/key/generate" -H "Authorization: Bearer $KEY" \
      -H 'Content-Type: application/json' -d '{"key_alias":"deb-test","max_budget":1}')
vkey=$(echo "$gen" | sed -n 's/.*"key": *"\(sk-[^"]*\)".*/\1/p')
[ -n "$vkey" ] && ok "/key/generate through nginx -> controld.sock" || bad "/key/generate: $gen"
out=$(chat "$vkey")
[[ "$out" == *$'\n200' ]] && ok "chat completion with the new virtual key" || bad "virtual key: $out"
out=$(chat "sk-not-a-key")
[[ "$out" == *$'\n401' ]] && ok "unknown key refused (401)" || bad "unknown key: $out"

# the console from the package's files, its API through controld's socket
code=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PORT/ui/")
csp=$(curl -s -D - -o /dev/null "http://127.0.0.1:$PORT/ui/app.js" | grep -i '^content-security-policy')
[ "$code" = 200 ] && [[ "$csp" == *"default-src 'none'"* ]] && ok "console served from /usr/share/ngx_llm/ui with its CSP" \
    || bad "console: $code $csp"
login=$(curl -s -D - "http://127.0.0.1:$PORT/ui/api/login" -H 'Content-Type: application/json' \
        -d "{\"key\":\"$KEY\"}")
[[ "$login" == *"Set-Cookie: llm_session="*"HttpOnly; SameSite=Strict"* && "$login" == *'"role":"admin"'* ]] \
    && ok "console sign-in with the master key" || bad "console sign-in: $login"
cookie=$(echo "$login" | sed -n 's/^Set-Cookie: \(llm_session=[0-9a-f]*\);.*/\1/p' | tr -d '\r')
csrf=$(echo "$login" | sed -n 's/.*"csrf": *"\([0-9a-f]*\)".*/\1/p')
console() {  # METHOD PATH [JSON]: the body, then the status on its own line
    curl -s -w '\n%{http_code}' -X "$1" "http://127.0.0.1:$PORT/ui/api$2" -H "Cookie: $cookie" \
        -H "X-CSRF-Token: $csrf" -H 'Content-Type: application/json' ${3:+-d "$3"}
}

# the request log nginx writes under /var/log/ngx_llm, read by controld
# (its user, its unit's --request-log) for the console; nginx flushes it
# within a second
logged=0
for _ in $(seq 50); do
    out=$(console GET '/request/log?size=10')
    [[ "$out" == *'"model":"demo"'* && "$out" == *$'\n200' ]] && { logged=1; break; }
    sleep 0.2
done
[ $logged = 1 ] && ok "the console's request log shows the requests (/var/log/ngx_llm/requests.log)" \
    || bad "request log: $out"

# named configs in /var/lib/ngx_llm/content (the unit's --content-dir,
# writable under ProtectSystem=strict): kept, applied, config.yaml again
named='model_list:\n  - model_name: demo2\n    litellm_params: {model: openai/demo2, mock_response: \"Hello from a named config\"}\ngeneral_settings: {master_key: os.environ/LITELLM_MASTER_KEY}\n'
out=$(console POST /config/named/add "{\"name\":\"deb-named\",\"yaml\":\"$named\"}")
[[ "$out" == *'"version":1'* && "$out" == *$'\n200' ]] && ok "console keeps a named config" || bad "named add: $out"
out=$(console POST /config/named/apply '{"name":"deb-named"}')
[[ "$out" == *$'\n202' ]] && ok "console applies it" || bad "named apply: $out"
served=0
for _ in $(seq 50); do
    out=$(curl -s "http://127.0.0.1:$PORT/v1/chat/completions" -H "Authorization: Bearer $KEY" \
          -H 'Content-Type: application/json' -d '{"model":"demo2","messages":[{"role":"user","content":"Hi"}]}')
    [[ "$out" == *"Hello from a named config"* ]] && { served=1; break; }
    sleep 0.2
done
[ $served = 1 ] && ok "the gateway serves the named config" || bad "named config not served: $out"
check "the choice is kept for a restart (/var/lib/ngx_llm/content/config/.active)" \
    test -f /var/lib/ngx_llm/content/config/.active
out=$(console POST /config/base/apply)
[[ "$out" == *'/etc/ngx_llm/config.yaml'* && "$out" == *$'\n202' ]] && ok "back to config.yaml" || bad "base apply: $out"

# ExecReload's SIGHUP: controld re-reads and republishes; nothing fails
if [ "$SYSTEMD" = 1 ]; then systemctl reload ngx-llm-controld; else kill -HUP "$CONTROLD_PID"; fi
sleep 1
out=$(chat "$KEY")
[[ "$out" == *$'\n200' ]] && ok "served after controld's SIGHUP reload" || bad "after reload: $out"
check "state in /var/lib/ngx_llm, owned by ngx-llm" \
    sh -c '[ "$(stat -c %U /var/lib/ngx_llm/keys.json)" = ngx-llm ] && [ -f /var/lib/ngx_llm/config.json ]'
check "no secret in controld's output" sh -c "! grep -qF -e '$KEY' -e '$vkey' '$T/controld.log' '$T/logs/error.log'"

stop_all
check "apt-get purge" apt_quiet purge $PKGS
left=""
for p in /etc/ngx_llm /var/lib/ngx_llm /run/ngx_llm /var/log/ngx_llm /usr/share/ngx_llm \
         /etc/logrotate.d/ngx-llm \
         /usr/lib/nginx/modules/ngx_http_llm_module.so /usr/sbin/controld /usr/bin/llmctl \
         /usr/share/nginx/modules-available/mod-http-llm.conf \
         /etc/nginx/modules-enabled/50-mod-http-llm.conf \
         /etc/nginx/modules-enabled/50-mod-http-llm.conf.removed \
         "$UNIT" /etc/systemd/system/multi-user.target.wants/ngx-llm-controld.service \
         /usr/lib/tmpfiles.d/ngx-llm.conf /usr/share/doc/ngx-llm; do
    [ -e "$p" ] || [ -L "$p" ] && left="$left $p"
done
[ -z "$left" ] && ok "nothing left after purge" || bad "left after purge:$left"
dpkg-query -W -f='${Status}\n' $PKGS 2>/dev/null | grep -q . \
    && bad "dpkg still knows: $(dpkg-query -W -f='${Package} ${Status}, ' $PKGS 2>/dev/null)" \
    || ok "dpkg forgot both packages"
snapshot_etc_nginx > "$T/etc-nginx.after"
diff "$T/etc-nginx.before" "$T/etc-nginx.after" > "$T/etc.diff" \
    && ok "/etc/nginx as before" || { bad "/etc/nginx changed"; sed 's/^/#   /' "$T/etc.diff"; }
getent passwd ngx-llm >/dev/null && echo "# kept by policy: system user ngx-llm"

echo "test-deb: $pass passed, $fail failed"
[ "$fail" = 0 ]

#!/usr/bin/env bash
# The switch's control socket under 10,000 malformed requests (issue 8):
# random bytes, truncated and deeply nested JSON, wrong field types,
# out-of-range values, unknown commands, a request over 64 KiB and more
# clients than the server serves at once. Every request gets an
# {"ok":false,...} reply naming the problem, the switch keeps answering,
# (mutated requests that happen to turn valid get any well-formed JSON
# reply, all of them valid UTF-8), and its open fds and RSS are back where they started.
cd "$(dirname "$0")/../.." || exit 1
. tests/integration/switch_common.bash
sw_need 300
need_cmd python3
N=${CTL_MALFORMED_COUNT:-10000}

sw_start || { tap_fail "switch starts"; tap_done; }
fds_before=$(ls /proc/$SW_PID/fd | wc -l)
rss_before=$(awk '/^VmRSS/ {print $2}' /proc/$SW_PID/status)

python3 - "$SW_CTL" "$N" >"$TEST_TMP/flood.out" 2>&1 <<'PY'
import json, random, socket, sys
path, n = sys.argv[1], int(sys.argv[2])
rnd = random.Random(8)
fixed = [
    b'{"cmd":1}', b'{"cmd":null}', b'{}', b'[]', b'"cmd"', b'{"cmd":"nope"}',
    b'{"cmd":"fdb-add","vlan":"x","mac":"52:54:00:00:00:01","port":"vm1"}',
    b'{"cmd":"fdb-add","vlan":99999,"mac":"zz:zz","port":"nope"}',
    b'{"cmd":"fdb-add","vlan":-1,"mac":"52:54:00:00:00:01","port":"vm1"}',
    b'{"cmd":"fdb-del","vlan":10,"mac":12}', b'{"cmd":"port-del","name":123}',
    b'{"cmd":"port-del","name":"no-such-port"}', b'{"cmd":"port-add","spec":"name=,type=??"}',
    b'{"cmd":"port-add"}', b'{"cmd":"fdb-aging","seconds":-5}',
    b'{"cmd":"fdb-aging","seconds":1e309}', b'{"cmd":"stats","port":{"a":1}}',
    b'{"cmd":"fdb-add","vlan":18446744073709551616}', b'{"cmd":"\\u0000help"}',
    b'[' * 5000 + b']' * 5000, b'{"cmd":"help"', b'{"cmd":"he', b'\xff\xfe\x00{"cmd":"help"}',
]
def request(i):
    k = i % 3
    if k == 0:
        return fixed[rnd.randrange(len(fixed))]
    if k == 1:  # random bytes, no newline
        return bytes(rnd.choice(b'{}[]":,0123456789abcdefghijklmnopqrstuvwxyz\\ \t\x00\xff')
                     for _ in range(rnd.randrange(1, 200)))
    base = fixed[rnd.randrange(6, 19)]  # a field-level mistake, truncated or mutated
    b = bytearray(base)
    for _ in range(rnd.randrange(1, 4)):
        b[rnd.randrange(len(b))] = rnd.randrange(256)
    return bytes(b).replace(b'\n', b' ')
bad = good = 0
sent = 0
while sent < n:
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(path)
    f = s.makefile('rb')
    for _ in range(50):  # 50 requests per connection, pipelined 10 at a time
        idx = list(range(sent, sent + min(10, n - sent)))
        batch = [request(i) for i in idx]
        sent += len(batch)
        s.sendall(b''.join(r + b'\n' for r in batch))
        for i, r in zip(idx, batch):
            line = f.readline()
            try:
                rep = json.loads(line.decode('utf-8'))
                # fixed and random requests are all malformed; a mutated
                # one may turn valid, but its reply must still be JSON.
                ok = (rep.get('ok') is False and rep.get('error')) or \
                    (i % 3 == 2 and isinstance(rep.get('ok'), bool))
            except Exception:
                ok = False
            if ok:
                good += 1
            else:
                bad += 1
                if bad < 5:
                    print('bad reply to %r: %r' % (r[:80], line[:200]))
        if sent >= n:
            break
    s.close()
# over 64 KiB in one request: refused and dropped
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM); s.connect(path)
try:
    s.sendall(b'{"cmd":"' + b'a' * 70000)
    big = s.makefile('rb').readline()
except OSError as e:
    big = str(e).encode()
s.close()
# more clients than the server serves at once
many = [socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) for _ in range(40)]
for c in many:
    try:
        c.connect(path)
    except OSError:
        pass
for c in many:
    c.close()
print('replies ok=%d bad=%d big=%r' % (good, bad, big[:80]))
PY
if grep -q "replies ok=$N bad=0 big=b'{\"ok\":false,\"error\":\"request longer than 64 KiB" "$TEST_TMP/flood.out"; then
	tap_ok "$N malformed requests each get an ok:false reply; a >64 KiB request is refused"
else
	tap_fail "$N malformed requests each get an ok:false reply; a >64 KiB request is refused" \
		"$(tail -c 800 "$TEST_TMP/flood.out")"
fi
sleep 0.5
if kill -0 "$SW_PID" 2>/dev/null && [ "$(ctl '{"cmd":"help"}' | jq -r .ok)" = true ]; then
	tap_ok "the switch still runs and answers help"
else
	tap_fail "the switch still runs and answers help" "$(tail -5 "$TEST_TMP/sw.log")"
fi
fds_after=$(ls /proc/$SW_PID/fd 2>/dev/null | wc -l)
rss_after=$(awk '/^VmRSS/ {print $2}' /proc/$SW_PID/status 2>/dev/null)
[ "$fds_after" = "$fds_before" ] && tap_ok "open fds unchanged ($fds_before)" ||
	tap_fail "open fds unchanged" "before $fds_before, after $fds_after"
if grep -qa __asan_init "$BUILD/nfvisor-switch"; then
	# ASan's quarantine keeps freed memory for a while; LeakSanitizer checks
	# for leaks when the switch exits instead.
	tap_skip "RSS grew less than 4 MiB" "sanitizer build ($rss_before -> $rss_after KiB)"
elif [ -n "$rss_after" ] && [ $((rss_after - rss_before)) -lt 4096 ]; then
	tap_ok "RSS grew less than 4 MiB ($rss_before -> $rss_after KiB)"
else
	tap_fail "RSS grew less than 4 MiB" "$rss_before -> ${rss_after:-?} KiB"
fi
sw_stop && tap_ok "SIGTERM stops the switch with exit 0" || tap_fail "SIGTERM stops the switch with exit 0"
tap_done

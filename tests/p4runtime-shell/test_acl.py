"""p4runtime-shell 0.0.6 (a real P4Runtime client: Python gRPC, protobuf 3.20) drives
`gufc serve --p4runtime` on the model: it becomes primary and commits the P4Info that
`gufc p4info` printed (text format, parsed by protobuf's own text parser), inserts acl entries
and reads them back equal, reads their direct counters and the channel counters, sees a
DATAPLANE_ATOMIC batch with one bad update change nothing, and a second controller with a lower
election id is refused writes; inserts flows and a locality entry and reads them back. Run by scripts/p4rt-shell-test; prints 'N passed, N failed'.

usage: test_acl.py GUFC_BINARY WORKDIR [GUFC OPTIONS FOR THE SERVED DEVICE, e.g. --device X]
"""

import os
import socket
import subprocess
import sys
import threading
import time

import faulthandler
import grpc
import p4runtime_sh.shell as sh
from p4.v1 import p4runtime_pb2
from p4runtime_sh.p4runtime import P4RuntimeClient, P4RuntimeWriteException

gufc, work, device_args = sys.argv[1], sys.argv[2], sys.argv[3:]
passed = failed = 0


def check(name, cond, detail=""):
    global passed, failed
    if cond:
        passed += 1
        print(f"ok   {name}")
    else:
        failed += 1
        print(f"FAIL {name} {detail}")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


p4info_path = f"{work}/p4info.txt"
bin_path = f"{work}/empty.bin"
with open(p4info_path, "wb") as f:
    subprocess.run([gufc, *device_args, "p4info"], stdout=f, check=True)
open(bin_path, "wb").close()

port = free_port()
addr = f"127.0.0.1:{port}"
server = subprocess.Popen([gufc, "--quiet", *device_args, "serve", "--p4runtime", addr])


def hung():
    """A hang fails the test with every thread's stack, and takes the server down with it.
    (p4runtime-shell 0.0.6 spins forever on a Write error whose details hold an OK entry, as a
    spec-conforming server sends under CONTINUE_ON_ERROR: this test never makes one.)"""
    faulthandler.dump_traceback(all_threads=True)
    print("FAIL: no progress for 60 s")
    server.kill()
    os._exit(1)


watchdog = threading.Timer(60, hung)
watchdog.daemon = True
watchdog.start()
try:
    for _ in range(200):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.1).close()
            break
        except OSError:
            if server.poll() is not None:
                sys.exit(f"gufc serve exited with {server.returncode}")
            time.sleep(0.05)
    else:
        sys.exit(f"gufc serve did not listen on {addr}")

    sh.setup(device_id=1, grpc_addr=addr, election_id=(0, 10),
             config=sh.FwdPipeConfig(p4info_path, bin_path), verbose=False)
    names = sorted(t.preamble.name for t in sh.client.get_p4info().tables)
    check("P4Info committed and read back", names == ["acl", "flows", "locality"], names)

    def acl(port, prio, ch):
        te = sh.TableEntry("acl")(action="steer")
        te.match["src_ip"] = "10.0.0.0&&&255.0.0.0"
        te.match["proto"] = "6&&&0xff"
        te.match["dst_port"] = f"{port}..{port}"
        te.action["channel"] = str(ch)
        te.priority = prio
        return te

    sent = []
    for i in range(40):
        te = acl(1000 + i, 100 + i, i % 4)
        te.insert()
        sent.append(te.msg().SerializeToString(deterministic=True))
    v6 = sh.TableEntry("acl")(action="slow_path")
    v6.match["is_ipv6"] = "1"
    v6.match["dst_ipv6"] = "2001:db8::&&&ffff:ffff::"
    v6.match["src_port"] = "1024..65535"
    v6.action["reason"] = "200"
    v6.priority = 5
    v6.insert()
    sent.append(v6.msg().SerializeToString(deterministic=True))

    def read_all():
        return sorted(e.msg().SerializeToString(deterministic=True)
                      for e in sh.TableEntry("acl").read())

    got = read_all()
    check("41 entries read back equal", got == sorted(sent), f"{len(got)} read")

    counters = list(sh.DirectCounterEntry("acl_counter").read())
    check("direct counters of every entry, zero before traffic",
          len(counters) == 41 and all(c.packet_count == 0 for c in counters), len(counters))
    channels = list(sh.CounterEntry("channel").read())
    check("one channel counter per channel", len(channels) == 16, len(channels))

    # DATAPLANE_ATOMIC: three good updates and one bad (channel 16 of 16) change nothing.
    req = p4runtime_pb2.WriteRequest()
    req.atomicity = p4runtime_pb2.WriteRequest.DATAPLANE_ATOMIC
    for port, ch in [(2000, 1), (2001, 16), (2002, 2)]:
        u = req.updates.add()
        u.type = p4runtime_pb2.Update.INSERT
        u.entity.table_entry.CopyFrom(acl(port, 300 + port, ch).msg())
    u = req.updates.add()
    u.type = p4runtime_pb2.Update.DELETE
    u.entity.table_entry.CopyFrom(v6.msg())
    try:
        sh.client.write(req)
        check("DATAPLANE_ATOMIC batch with a bad update refused", False, "it was accepted")
    except P4RuntimeWriteException as e:
        codes = [(i, err.canonical_code) for i, err in e.errors]
        # OK entries are left out by the client; ABORTED=10, OUT_OF_RANGE=11.
        check("per-update statuses", codes == [(0, 10), (1, 11), (2, 10), (3, 10)], codes)
    check("the failed batch changed nothing", read_all() == sorted(sent))

    # A duplicate insert is ALREADY_EXISTS (6).
    try:
        acl(1000, 100, 0).insert()
        check("duplicate refused", False)
    except P4RuntimeWriteException as e:
        check("duplicate is ALREADY_EXISTS", [err.canonical_code for _, err in e.errors] == [6])

    # A backup controller may read but not write.
    backup = P4RuntimeClient(1, addr, (0, 5))
    u = p4runtime_pb2.Update(type=p4runtime_pb2.Update.INSERT)
    u.entity.table_entry.CopyFrom(acl(3000, 3000, 0).msg())
    try:
        backup.write_update(u)
        check("backup refused writes", False)
    except grpc.RpcError as e:
        check("backup refused writes (PERMISSION_DENIED)",
              e.code() == grpc.StatusCode.PERMISSION_DENIED, e.code())
    e = p4runtime_pb2.Entity()
    e.table_entry.table_id = sh.context.get_obj_id(sh.P4Type.table, "acl")
    n = sum(len(r.entities) for r in backup.read_one(e))
    check("backup reads", n == 41, n)
    backup.tear_down()

    # Delete everything: the table is empty again.
    for te in sh.TableEntry("acl").read():
        te.delete()
    check("all deleted", read_all() == [])

    # flows: exact on the 7-tuple (an IPv4 address in the low 32 bits of a 128-bit field).
    # p4runtime-shell 0.0.6 pads integers to the field's width and the server answers in the
    # canonical form, so entries are compared by value.
    def fields(te):
        m = te.msg()
        vals = {f.field_id: int.from_bytes(f.exact.value, "big") for f in m.match}
        params = [int.from_bytes(p.value, "big") for p in m.action.action.params]
        return (tuple(sorted(vals.items())), m.action.action.action_id, tuple(params))

    def flow(i, ch):
        te = sh.TableEntry("flows")(action="steer")
        te.match["is_ipv6"] = "0"
        te.match["src_addr"] = str(0x0A010200 + i)
        te.match["dst_addr"] = str(0xC0000201)
        te.match["proto"] = "6"
        te.match["src_port"] = str(40000 + i)
        te.match["dst_port"] = "443"
        te.action["channel"] = str(ch)
        return te

    flows_sent = []
    for i in range(5):
        te = flow(i, i % 4)
        te.insert()
        flows_sent.append(fields(te))
    flows_got = sorted(fields(te) for te in sh.TableEntry("flows").read())
    check("5 flows read back equal", flows_got == sorted(flows_sent), flows_got)
    fc = list(sh.DirectCounterEntry("flows_counter").read())
    check("flows direct counters, zero before traffic",
          len(fc) == 5 and all(c.packet_count == 0 for c in fc), len(fc))
    try:
        flow(0, 1).insert()
        check("duplicate flow refused", False)
    except P4RuntimeWriteException as e:
        check("duplicate flow is ALREADY_EXISTS",
              [err.canonical_code for _, err in e.errors] == [6])
    loc = sh.TableEntry("locality")(action="local")
    loc.match["is_ipv6"] = "0"
    loc.match["addr"] = f"{0x0A000000}/104"  # 10.0.0.0/8: 96 + 8
    loc.insert()
    got = [(te.msg().match[1].lpm.prefix_len,
            int.from_bytes(te.msg().match[1].lpm.value, "big"))
           for te in sh.TableEntry("locality").read()]
    check("locality entry read back", got == [(104, 0x0A000000)], got)
    for te in sh.TableEntry("flows").read():
        te.delete()
    loc.delete()
    check("flows and locality deleted",
          list(sh.TableEntry("flows").read()) == [] and
          list(sh.TableEntry("locality").read()) == [])
    sh.teardown()
finally:
    watchdog.cancel()
    server.terminate()
    server.wait(timeout=10)

print(f"{passed} passed, {failed} failed")
sys.exit(1 if failed else 0)

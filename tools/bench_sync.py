"""Sync benchmark: 1000 journal records over one paced BLE link model, three ways.

- `sync_*`: our protocol (docs/protocol.md), the real `unknot.ble.sync.sync()` into a real
  SQLite store (reads info, sets the clock, reads the records in batches);
- `nus_json_*`: the same records as JSON lines over the Nordic UART service (Gadgetbridge /
  Bangle.js style);
- `ft_csv_*`: the same records as a CSV file read with the Adafruit BLE file transfer
  protocol (READ / READ_DATA / READ_PACING).

All three run on ONE simulated link (`unknot.sim.link.PacedLink`, parameters under
`link_*`) with real bleak clients through the bumble backend, one after the other on the same
connection; counters and the virtual clock are reset before each transfer.

Definitions: `*_bytes` = all ATT PDU bytes (headers included) crossing the link in both
directions during the transfer; `*_paced_s` = modelled time from the first request to the
last delivered PDU; `sync_N_min_notifications` = ceil(N * 12 wire-record bytes / (MTU-3)),
the fewest notifications the MTU allows for the records' content.
"""

from __future__ import annotations

import asyncio
import math
import tempfile
from pathlib import Path
from typing import Any

from bench_servers import (
    FileTransferServer,
    NusJsonServer,
    ft_read,
    nus_json_fetch,
    parse_csv,
)
from journal_app import JournalApp
from unknot.ble import open_device
from unknot.ble.sync import sync
from unknot.device.keys import HostKey, KeyStore
from unknot.history import HistoryStore
from unknot.sim.link import LinkModel, PacedLink
from unknot.sim.radio import SimRadio

WIRE_RECORD = 12


def _take(link: PacedLink) -> tuple[int, float, int]:
    st = link.stats
    return st.bytes, st.end_s, st.notifications


async def measure(records: int = 1000, model: LinkModel | None = None) -> dict[str, Any]:
    """Run the three transfers; returns numbers and the records each one delivered."""
    model = model or LinkModel()
    app = JournalApp(records)
    nus = NusJsonServer(app.records)
    ft = FileTransferServer(app.records)
    out: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as tmp:
        radio = await SimRadio(
            app, keys_dir=Path(tmp) / "keys", model=model, extra_services=[nus.service, ft.service]
        ).start()
        link = radio.link
        assert isinstance(link, PacedLink)
        nus.attach(radio.peripheral.device)
        ft.attach(radio.peripheral.device)
        try:
            with HistoryStore.open(Path(tmp) / "h.sqlite3") as store:
                keys = KeyStore(Path(tmp) / "hostkeys")  # the wearer consented
                hk = HostKey.new()
                app.keyring.keep(hk.host_id, hk.key)
                keys.save(bytes(app.device_id[:8]).hex(), hk)
                async with open_device(radio=radio, keys=keys, authenticate=False) as s:
                    link.reset_stats()
                    await s.authenticate(keys)  # AUTH_BEGIN + AUTH: what v2 adds per sync
                    out["auth"] = _take(link)
                    mtu = s.client.mtu_size
                    link.reset_stats()
                    await sync(s, store)
                    out["sync"] = _take(link)
                    out["sync_records"] = [
                        (r.seq, int(r.start.timestamp()), r.routine_id, r.steps_done,
                         r.steps_total, r.active_s, r.flags, r.boot)
                        for r in sorted(store.sessions(include_sim=True), key=lambda r: r.seq)
                    ]
                    link.reset_stats()
                    out["nus_records"] = await nus_json_fetch(s.client)
                    out["nus"] = _take(link)
                    link.reset_stats()
                    out["ft_records"] = parse_csv(await ft_read(s.client))
                    out["ft"] = _take(link)
        finally:
            await nus.stop()
            await ft.stop()
            await radio.stop()
    out["mtu"] = mtu
    out["device_records"] = app.records()
    return out


def run(records: int = 1000) -> dict[str, float | int]:
    m = asyncio.run(measure(records))
    n = records
    sync_bytes, sync_s, sync_notes = m["sync"]
    nus_bytes, nus_s, _ = m["nus"]
    ft_bytes, ft_s, _ = m["ft"]
    minimum = math.ceil(n * WIRE_RECORD / (m["mtu"] - 3))
    model = LinkModel()
    res: dict[str, float | int] = {f"link_{k}": v for k, v in model.describe().items()}
    res.update(
        {
            f"sync_{n}_notifications": sync_notes,
            f"sync_{n}_min_notifications": minimum,
            f"sync_{n}_bytes": sync_bytes,
            f"sync_{n}_paced_s": round(sync_s, 4),
            # protocol v2: the key exchange on the same paced link (the 8-byte tags ride in
            # the sync's own requests and answers, counted in sync_*)
            "auth_sync_overhead_ms": round(m["auth"][1] * 1000, 1),
            "auth_bytes": m["auth"][0],
            f"nus_json_{n}_bytes": nus_bytes,
            f"nus_json_{n}_paced_s": round(nus_s, 4),
            f"ft_csv_{n}_bytes": ft_bytes,
            f"ft_csv_{n}_paced_s": round(ft_s, 4),
            "bytes_ratio_vs_nus_json": round(nus_bytes / sync_bytes, 2),
            "bytes_ratio_vs_ft_csv": round(ft_bytes / sync_bytes, 2),
            "notifications_vs_min_pct": round(100 * sync_notes / minimum, 1),
        }
    )
    return res


if __name__ == "__main__":
    import json

    print(json.dumps(run(), indent=2, sort_keys=True))

"""The board itself, whatever the link: its CIRCUITPY drive and boot_out.txt (circuitpy),
where things live on it (layout), writing files onto it safely (files), installing the
firmware (install) and its settings.toml (settings). unknot.transport builds on these."""

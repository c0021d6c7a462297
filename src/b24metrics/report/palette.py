"""One colour per channel across every chart of a report, and "other" for the rest.

The channels with the most leads over the report window each get a colour class of the page's
CSS (c0, c1 ...), in that order; every other channel is drawn as one grey "other". Any chart that
colours by channel (leads by channel, money by channel) asks the same palette, so a channel is
the same colour everywhere on the page.
"""

from __future__ import annotations

from dataclasses import dataclass

PALETTE = 12           # colour classes c0..c11 in the page's CSS
OTHER = "(other)"      # the label of the channels gathered together (translated in text.PLACEHOLDERS)
OTHER_CSS = "c-other"


@dataclass(frozen=True)
class ChannelPalette:
    top: tuple[str, ...]          # channels with a colour of their own, most leads first
    rest: tuple[str, ...] = ()    # channels drawn as "other", most leads first

    def css(self, channel: str) -> str:
        return f"c{self.top.index(channel) % PALETTE}" if channel in self.top else OTHER_CSS

    def is_other(self, channel: str) -> bool:
        return channel not in self.top


def channel_palette(totals: dict[str, float], top: int) -> ChannelPalette:
    """Channels by their leads over the window (ties by name); `top` of them keep a colour.
    "Other" standing for one channel would hide its name for nothing: then it keeps its own."""
    order = sorted(totals, key=lambda c: (-totals[c], str(c)))
    if len(order) <= top + 1:
        return ChannelPalette(tuple(order))
    return ChannelPalette(tuple(order[:top]), tuple(order[top:]))

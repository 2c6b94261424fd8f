"""Generate one day of synthetic events: visits made of sessions that follow real funnels.

A visit starts with a sign-up (and the onboarding steps) on the user's sign-up day, with
``App Opened`` or ``Login`` on later days, then chains of actions: page views, searches that
lead to items, items that lead to carts, checkouts and purchases. Events come out in the order
Mixpanel's export tends to give them: grouped by user, each user's events in time order, the
day as a whole not sorted by time.

Speed matters (the benchmarks generate millions of events), so the hot path draws with
``rng.random()`` and indexes tuples instead of calling ``rng.choice``.
"""

from __future__ import annotations

import functools
import random
from typing import TYPE_CHECKING, Any

from mixpanel_data.emulator._dataset_hard import plant_hard_cases
from mixpanel_data.emulator._dataset_model import DAY_MS
from mixpanel_data.emulator._dataset_pools import (
    CATEGORIES,
    CURRENCIES,
    ERRORS,
    FEEDBACK_MESSAGES,
    NOTIFICATION_TYPES,
    PAGES,
    PRODUCT_ADJECTIVES,
    PRODUCT_NOUNS,
    SEARCH_TERMS,
    SETTINGS,
    TAGS,
)

if TYPE_CHECKING:
    from mixpanel_data.emulator._dataset_model import UserModel, UserState, Visit

__all__ = ["HOST", "DayGenerator", "Product", "generate_day"]

HOST = "https://shop.example.com"
Product = tuple[str, str, str, float]  # sku, name, category, price
_LAST_MS = DAY_MS - 2  # user events stay strictly inside the day; the boundaries are planted
_JPY_PER_USD = 150.0


@functools.lru_cache(maxsize=8)
def _products(seed: int) -> tuple[Product, ...]:
    rng = random.Random(f"{seed}:products")
    items = []
    for n in range(36):
        adjective = PRODUCT_ADJECTIVES[n % len(PRODUCT_ADJECTIVES)]
        noun = PRODUCT_NOUNS[(n // len(PRODUCT_ADJECTIVES)) % len(PRODUCT_NOUNS)]
        category = CATEGORIES[(n // len(PRODUCT_ADJECTIVES)) % len(CATEGORIES)]
        price = round(rng.choice((4.99, 9.99, 14.5, 19.99, 29.0, 49.99, 89.0, 129.99)), 2)
        items.append((f"SKU-{1000 + n}", f"{adjective} {noun}", category, price))
    return tuple(items)


def generate_day(model: UserModel, day_index: int) -> list[dict[str, Any]]:
    """Return the raw export events of one day (``time`` in ms), hard cases included."""
    return DayGenerator(model, day_index).run()


class DayGenerator:
    """Builds one day's events; :mod:`_dataset_hard` plants the hard cases afterwards."""

    def __init__(self, model: UserModel, day_index: int) -> None:
        self.model = model
        self.day_index = day_index
        self.rng = random.Random(f"{model.seed}:{day_index}:events")
        self.start = model.day_start_ms(day_index)
        self.to_utc = model.to_utc(day_index)
        self._shift = model.utc_shift(day_index)
        self.rates = model.config.rates
        self.products = _products(model.seed)
        self.events: list[dict[str, Any]] = []
        self.visitors: list[UserState] = []
        self.build = self._build_number()
        # State of the visit being generated.
        self._user: UserState | None = None
        self._t = 0
        self._n = 0
        self._budget = 0
        self._session_left = 0
        self._cart: list[tuple[Product, int]] = []

    def _build_number(self) -> int | str | float:
        """The mobile ``build`` property, whose JSON type drifts across days."""
        build = 1000 + self.day_index // 3
        if self.rates.type_drift:
            kind = self.day_index % 4
            if kind == 1:
                return str(build)
            if kind == 3:
                return build + 0.5
        return build

    def run(self) -> list[dict[str, Any]]:
        """Generate every visit of the day, then plant the hard cases."""
        for visit in self.model.visits(self.day_index):
            self.visitors.append(visit.user)
            self._visit(visit)
        plant_hard_cases(self)
        return self.events

    # -- building events -------------------------------------------------------------------

    def make_event(
        self,
        user: UserState,
        name: str,
        t: int,
        custom: dict[str, Any] | None,
        *,
        path: str = "/",
        anonymous: bool = False,
    ) -> dict[str, Any]:
        """Build one export event of ``user`` at ``t`` ms into the day."""
        rng = self.rng
        stored = self.start + t
        props: dict[str, Any] = {"time": stored, "distinct_id": user.distinct_id}
        props.update(user.base_anonymous if anonymous else user.base)
        if user.platform == "web":
            props["$current_url"] = HOST + path
        else:
            props["build"] = self.build
        props["$insert_id"] = rng.randbytes(16).hex()
        # Mixpanel docs (raw-event-export): mp_processing_time_ms is the UTC ms at which
        # Mixpanel processed the event; on time events it trails `time` by a second or so.
        shift = self._shift
        utc = stored - shift if shift is not None else self.to_utc(stored)
        props["mp_processing_time_ms"] = utc + 250 + int(rng.random() * 2500)
        if custom:
            props.update(custom)
        return {"event": name, "properties": props}

    def _emit(
        self, name: str, custom: dict[str, Any] | None, path: str = "/", anonymous: bool = False
    ) -> None:
        assert self._user is not None
        self.events.append(
            self.make_event(self._user, name, self._t, custom, path=path, anonymous=anonymous)
        )
        self._n += 1
        rng = self.rng
        gap = 1500 + int(rng.expovariate(1 / 40_000))
        self._session_left -= 1
        if self._session_left <= 0:
            gap += 900_000 + int(rng.random() * 9_000_000)
            self._session_left = 6 + int(rng.random() * 25)
        self._t += min(gap, (_LAST_MS - self._t) // 2)

    def _more(self) -> bool:
        return self._n < self._budget

    # -- visits ----------------------------------------------------------------------------

    def _visit(self, visit: Visit) -> None:
        rng = self.rng
        user = visit.user
        self._user, self._t, self._n, self._budget = user, visit.start, 0, visit.budget
        self._session_left = 6 + int(rng.random() * 25)
        self._cart = []
        if visit.signup:
            self._signup(user)
        elif user.platform != "web" and rng.random() < 0.85:
            self._emit(
                "App Opened",
                {"from_background": rng.random() < 0.4, "push_enabled": rng.random() < 0.6},
            )
        elif rng.random() < 0.35:
            self._emit(
                "Login",
                {
                    "method": ("password", "google", "sso")[int(rng.random() * 3)],
                    "remember_me": rng.random() < 0.5,
                },
                "/login",
            )
        while self._n < self._budget:
            self._action()
        if rng.random() < 0.15:
            self._emit(
                "Logout", {"session_length_s": int((self._t - visit.start) / 1000)}, "/logout"
            )

    def _signup(self, user: UserState) -> None:
        rng = self.rng
        for _ in range(int(rng.random() * 3)):
            self._page_view(anonymous=True)
        method = ("email", "email", "google", "github")[int(rng.random() * 4)]
        referral = f"REF-{rng.getrandbits(24):06X}" if rng.random() < 0.2 else None
        self._emit(
            "Sign Up",
            {"signup_method": method, "plan": user.profile["plan"], "referral_code": referral},
            "/signup",
        )
        started = self._t
        if rng.random() < 0.85:
            self._emit("Onboarding Started", {"onboarding_version": "v2", "step": 1}, "/welcome")
            if rng.random() < 0.7:
                fields = ["name", "avatar", "company", "role"][: 1 + int(rng.random() * 4)]
                self._emit(
                    "Profile Completed",
                    {"step": 2, "fields_filled": fields, "avatar_uploaded": "avatar" in fields},
                    "/welcome/profile",
                )
                if rng.random() < 0.75:
                    skipped = [2] if rng.random() < 0.2 else []
                    self._emit(
                        "Onboarding Finished",
                        {
                            "step": 3,
                            "duration_s": int((self._t - started) / 1000),
                            "skipped_steps": skipped,
                        },
                        "/welcome/done",
                    )
        if rng.random() < 0.2:
            self._invite()

    def _action(self) -> None:
        pick = self.rng.random() * 87
        if pick < 46:
            self._page_view()
        elif pick < 56:
            self._search()
        elif pick < 70:
            self._item_chain()
        elif pick < 75:
            self._video()
        elif pick < 77:
            self._share()
        elif pick < 81:
            self._notification()
        elif pick < 83:
            self._settings()
        elif pick < 84:
            self._feedback()
        elif pick < 86:
            self._error()
        else:
            self._invite()

    # -- actions ---------------------------------------------------------------------------

    def _page_view(self, *, anonymous: bool = False) -> None:
        rng = self.rng
        path, title = PAGES[int(rng.random() * len(PAGES))]
        self._emit(
            "Page View",
            {
                "page_title": title,
                "load_time_ms": 120 + int(rng.expovariate(1 / 400)),
                "scroll_depth": round(rng.random(), 2),
                "is_logged_in": not anonymous,
            },
            path,
            anonymous,
        )

    def _search(self) -> None:
        rng = self.rng
        term = SEARCH_TERMS[int(rng.random() * len(SEARCH_TERMS))]
        count = 0 if term == "" else int(rng.expovariate(1 / 30))
        category = CATEGORIES[int(rng.random() * len(CATEGORIES))] if rng.random() < 0.3 else None
        max_price = (50, 100, 250)[int(rng.random() * 3)] if rng.random() < 0.2 else None
        self._emit(
            "Search",
            {
                "query": term,
                "results_count": count,
                "filters": {"category": category, "max_price": max_price},
                "had_results": count > 0,
            },
            "/search",
        )
        if count > 0 and self._more() and rng.random() < 0.5:
            self._item_chain()

    def _price(self, price: float) -> float | str:
        # Type drift inside one day: the Android app sends prices as strings.
        assert self._user is not None
        if self.rates.type_drift and self._user.platform == "Android":
            return f"{price:.2f}"
        return price

    def _item_chain(self) -> None:
        rng = self.rng
        sku, name, category, price = product = self.products[int(rng.random() * len(self.products))]
        path = f"/products/{sku.lower()}"
        tags = [TAGS[int(rng.random() * len(TAGS))]] if rng.random() < 0.3 else []
        self._emit(
            "View Item",
            {
                "item_id": sku,
                "item_name": name,
                "category": category,
                "price": self._price(price),
                "in_stock": rng.random() < 0.9,
                "tags": tags,
            },
            path,
        )
        if not self._more() or rng.random() >= 0.3:
            return
        quantity = 1 + int(rng.expovariate(1.5))
        self._cart.append((product, quantity))
        self._emit(
            "Add to Cart",
            {
                "item_id": sku,
                "price": self._price(price),
                "quantity": quantity,
                "cart_size": len(self._cart),
            },
            path,
        )
        if self._more() and rng.random() < 0.12:
            self._cart.pop()
            self._emit("Remove from Cart", {"item_id": sku, "quantity": quantity}, "/cart")
            return
        if not self._more() or rng.random() >= 0.55 or not self._cart:
            return
        items = [{"sku": p[0], "price": p[3], "quantity": q} for p, q in self._cart]
        value = round(sum(p[3] * q for p, q in self._cart), 2)
        count = sum(q for _, q in self._cart)
        self._emit(
            "Checkout Started",
            {"cart_value": value, "item_count": count, "items": items},
            "/checkout",
        )
        if not self._more() or rng.random() >= 0.7:
            return
        currency = CURRENCIES[int(rng.random() * len(CURRENCIES))]
        amount = float(round(value * _JPY_PER_USD)) if currency == "JPY" else value
        express = rng.random() < 0.25
        self._emit(
            "Purchase",
            {
                "amount": amount,
                "currency": currency,
                "items": items,
                "item_count": count,
                "coupon": "SPRING10" if rng.random() < 0.15 else None,
                "payment_method": ("card", "card", "paypal", "apple_pay")[int(rng.random() * 4)],
                "is_gift": rng.random() < 0.08,
                "shipping": {
                    "method": "express" if express else "standard",
                    "cost": 12.5 if express else 0.0,
                },
            },
            "/checkout/done",
        )
        self._cart = []

    def _video(self) -> None:
        rng = self.rng
        self._emit(
            "Video Played",
            {
                "video_id": f"vid_{int(rng.random() * 40):03d}",
                "duration_s": round(rng.expovariate(1 / 90), 1),
                "autoplay": rng.random() < 0.3,
                "quality": ("480p", "720p", "1080p")[int(rng.random() * 3)],
            },
            "/videos",
        )

    def _share(self) -> None:
        rng = self.rng
        self._emit(
            "Share",
            {
                "target": ("twitter", "facebook", "email", "copy_link")[int(rng.random() * 4)],
                "content_type": ("product", "article")[int(rng.random() * 2)],
            },
            "/share",
        )

    def _notification(self) -> None:
        rng = self.rng
        kind = NOTIFICATION_TYPES[int(rng.random() * len(NOTIFICATION_TYPES))]
        self._emit(
            "Notification Received",
            {
                "notification_type": kind,
                "opened": rng.random() < 0.35,
                "payload": {
                    "campaign": {
                        "id": 100 + int(rng.random() * 20),
                        "variant": "AB"[int(rng.random() * 2)],
                    },
                    "priority": "high" if kind == "order_shipped" else "normal",
                },
            },
            "/notifications",
        )

    def _settings(self) -> None:
        rng = self.rng
        setting = SETTINGS[int(rng.random() * len(SETTINGS))]
        old = None if rng.random() < 0.3 else "off"
        self._emit(
            "Settings Updated",
            {
                "setting": setting,
                "old_value": old,
                "new_value": "on",
                "changes": {setting: {"from": old, "to": "on"}},
            },
            "/account/settings",
        )

    def _feedback(self) -> None:
        rng = self.rng
        rating = 1 + int(rng.random() * 5)
        self._emit(
            "Feedback Submitted",
            {
                "rating": rating,
                "message": FEEDBACK_MESSAGES[int(rng.random() * len(FEEDBACK_MESSAGES))],
                "nps": int(rng.random() * 11) if rng.random() < 0.6 else None,
            },
            "/feedback",
        )

    def _error(self) -> None:
        rng = self.rng
        code, message = ERRORS[int(rng.random() * len(ERRORS))]
        self._emit(
            "Error",
            {
                "error_code": code,
                "error_message": message,
                "fatal": code >= 500 and rng.random() < 0.3,
                "stack": [f"at handler ({code})", "at main"],
            },
            "/error",
        )

    def _invite(self) -> None:
        rng = self.rng
        count = 1 + int(rng.expovariate(0.8))
        domains = sorted(
            {("gmail.com", "outlook.com", "acme.io")[int(rng.random() * 3)] for _ in range(count)}
        )
        self._emit(
            "Invite Sent",
            {
                "invitee_count": count,
                "channel": ("email", "slack", "link")[int(rng.random() * 3)],
                "invitee_domains": domains,
            },
            "/invite",
        )

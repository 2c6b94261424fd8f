"""Fixed vocabularies the synthetic dataset draws from: places, names, devices, products, pages.

Everything here is constant data; all randomness lives in the model and the generator. The
pools are tuples so that picking an item is one index into a sequence.
"""

from __future__ import annotations

__all__ = [
    "BROWSERS",
    "CAMPAIGNS",
    "CATEGORIES",
    "CURRENCIES",
    "DESKTOP_OS",
    "DIURNAL_WEIGHTS",
    "ERRORS",
    "EVENT_NAMES",
    "FEEDBACK_MESSAGES",
    "FIRST_NAMES",
    "LAST_NAMES",
    "MOBILE_MODELS",
    "MULTILINE_STRINGS",
    "NOTIFICATION_TYPES",
    "PAGES",
    "PLACES",
    "PLANS",
    "PRODUCT_ADJECTIVES",
    "PRODUCT_NOUNS",
    "REFERRERS",
    "SEARCH_TERMS",
    "SETTINGS",
    "TAGS",
    "WEEKDAY_FACTORS",
    "Place",
]

# Every event name the generator emits for users (the hot-shard names come on top).
EVENT_NAMES: tuple[str, ...] = (
    "Page View",
    "Sign Up",
    "Login",
    "Logout",
    "App Opened",
    "Search",
    "View Item",
    "Add to Cart",
    "Remove from Cart",
    "Checkout Started",
    "Purchase",
    "Onboarding Started",
    "Profile Completed",
    "Onboarding Finished",
    "Invite Sent",
    "Share",
    "Video Played",
    "Notification Received",
    "Settings Updated",
    "Feedback Submitted",
    "Error",
)

# (city, region, country code, IANA zone, UTC offset in hours ignoring DST, weight)
Place = tuple[str, str, str, str, int, int]
PLACES: tuple[Place, ...] = (
    ("San Francisco", "California", "US", "America/Los_Angeles", -8, 9),
    ("Los Angeles", "California", "US", "America/Los_Angeles", -8, 6),
    ("Seattle", "Washington", "US", "America/Los_Angeles", -8, 4),
    ("Austin", "Texas", "US", "America/Chicago", -6, 5),
    ("Chicago", "Illinois", "US", "America/Chicago", -6, 5),
    ("New York", "New York", "US", "America/New_York", -5, 10),
    ("Boston", "Massachusetts", "US", "America/New_York", -5, 4),
    ("Toronto", "Ontario", "CA", "America/Toronto", -5, 4),
    ("Montréal", "Quebec", "CA", "America/Toronto", -5, 2),
    ("Mexico City", "Mexico City", "MX", "America/Mexico_City", -6, 3),
    ("São Paulo", "São Paulo", "BR", "America/Sao_Paulo", -3, 4),
    ("London", "England", "GB", "Europe/London", 0, 8),
    ("Manchester", "England", "GB", "Europe/London", 0, 2),
    ("Dublin", "Leinster", "IE", "Europe/Dublin", 0, 2),
    ("Paris", "Île-de-France", "FR", "Europe/Paris", 1, 5),
    ("Berlin", "Berlin", "DE", "Europe/Berlin", 1, 5),
    ("München", "Bavaria", "DE", "Europe/Berlin", 1, 2),
    ("Amsterdam", "North Holland", "NL", "Europe/Amsterdam", 1, 3),
    ("Zürich", "Zurich", "CH", "Europe/Zurich", 1, 1),
    ("Kraków", "Lesser Poland", "PL", "Europe/Warsaw", 1, 1),
    ("Málaga", "Andalusia", "ES", "Europe/Madrid", 1, 2),
    ("Stockholm", "Stockholm", "SE", "Europe/Stockholm", 1, 2),
    ("Bengaluru", "Karnataka", "IN", "Asia/Kolkata", 5, 5),
    ("Mumbai", "Maharashtra", "IN", "Asia/Kolkata", 5, 3),
    ("Singapore", "Singapore", "SG", "Asia/Singapore", 8, 2),
    ("Tokyo", "Tokyo", "JP", "Asia/Tokyo", 9, 4),
    ("Seoul", "Seoul", "KR", "Asia/Seoul", 9, 2),
    ("Sydney", "New South Wales", "AU", "Australia/Sydney", 10, 3),
)

FIRST_NAMES: tuple[str, ...] = (
    "Ana",
    "Ben",
    "Chloé",
    "David",
    "Emma",
    "Farah",
    "George",
    "Hana",
    "Isaac",
    "José",
    "Julia",
    "Kenji",
    "Lena",
    "Lucas",
    "Maya",
    "Noah",
    "Olivia",
    "Priya",
    "Quinn",
    "Rafael",
    "Sofia",
    "Søren",
    "Tomás",
    "Uma",
    "Victor",
    "Wei",
    "Xavier",
    "Yuki",
    "Zoë",
    "Łukasz",
    "Amara",
    "Björn",
    "Carmen",
    "Dmitri",
    "Elif",
    "Fatima",
    "Gabriel",
    "Hugo",
    "Ines",
    "Jonas",
)

LAST_NAMES: tuple[str, ...] = (
    "Ruiz",
    "Smith",
    "Nguyen",
    "Müller",
    "Rossi",
    "García",
    "Kowalski",
    "Tanaka",
    "Patel",
    "Johnson",
    "Dubois",
    "O'Brien",
    "Silva",
    "Kim",
    "Andersson",
    "Novak",
    "Haddad",
    "Lee",
    "Brown",
    "Schmidt",
    "López",
    "Ivanova",
    "Chen",
    "Yılmaz",
    "Okafor",
    "Jensen",
    "Costa",
)

BROWSERS: tuple[str, ...] = ("Chrome", "Chrome", "Chrome", "Safari", "Safari", "Firefox", "Edge")
DESKTOP_OS: tuple[str, ...] = ("Windows", "Windows", "Mac OS X", "Mac OS X", "Linux", "Chrome OS")
MOBILE_MODELS: dict[str, tuple[str, ...]] = {
    "iOS": ("iPhone14,2", "iPhone15,3", "iPhone16,1", "iPad13,4"),
    "Android": ("Pixel 8", "SM-S918B", "SM-A546B", "OnePlus 11"),
}

PLANS: tuple[str, ...] = ("free", "free", "free", "free", "starter", "starter", "pro", "enterprise")

TAGS: tuple[str, ...] = ("beta", "newsletter", "vip", "early-adopter", "b2b", "churned-once")

# (utm_source, utm_medium, utm_campaign)
CAMPAIGNS: tuple[tuple[str, str, str], ...] = (
    ("google", "cpc", "brand_search"),
    ("google", "cpc", "spring_sale"),
    ("facebook", "social", "launch_2024"),
    ("newsletter", "email", "weekly_digest"),
    ("twitter", "social", "launch_2024"),
    ("linkedin", "cpc", "b2b_retargeting"),
)

REFERRERS: tuple[str, ...] = (
    "$direct",
    "$direct",
    "https://www.google.com/",
    "https://www.google.com/",
    "https://www.bing.com/",
    "https://t.co/",
    "https://news.ycombinator.com/",
    "https://www.facebook.com/",
)

# (path, title); Page View picks from these.
PAGES: tuple[tuple[str, str], ...] = (
    ("/", "Home"),
    ("/", "Home"),
    ("/products", "All products"),
    ("/products", "All products"),
    ("/deals", "Deals of the day"),
    ("/pricing", "Pricing"),
    ("/blog", "Blog"),
    ("/blog/how-we-ship", "How we ship"),
    ("/help", "Help center"),
    ("/account", "Your account"),
    ("/cart", "Cart"),
    ("/about", "About us"),
)

CATEGORIES: tuple[str, ...] = ("shoes", "bags", "outdoor", "kitchen", "books", "electronics")
PRODUCT_ADJECTIVES: tuple[str, ...] = ("Classic", "Ultra", "Eco", "Pro", "Mini", "Urban", "Retro")
PRODUCT_NOUNS: tuple[str, ...] = ("Runner", "Tote", "Lantern", "Skillet", "Novel", "Headphones")

SEARCH_TERMS: tuple[str, ...] = (
    "running shoes",
    "backpack",
    "gift ideas",
    "headphones",
    "cast iron",
    "tent",
    "sale",
    "café latte mug",
    "waterproof jacket",
    "usb-c cable",
    "kids books",
    "",
)

# ISO codes, each repeated by its weight.
CURRENCIES: tuple[str, ...] = ("USD",) * 14 + ("EUR",) * 3 + ("GBP",) * 2 + ("JPY",)

NOTIFICATION_TYPES: tuple[str, ...] = ("order_shipped", "price_drop", "weekly_digest", "promo")
SETTINGS: tuple[str, ...] = ("language", "currency", "email_opt_in", "dark_mode", "timezone")

# (code, message)
ERRORS: tuple[tuple[int, str], ...] = (
    (400, "Bad Request: coupon expired"),
    (404, "Not Found: /products/legacy-item"),
    (500, "Internal Server Error"),
    (503, "Service Unavailable: payments"),
)

FEEDBACK_MESSAGES: tuple[str, ...] = (
    "Love the new checkout!",
    "Search could be faster.",
    "Delivery was late 😕",
    "Très bien, merci",
    "Please add Apple Pay",
)

# Strings a line splitter must not split: \n inside JSON is escaped, U+2028/U+2029 are not.
# The first holds all three, and is the one planted first, so any dataset has each.
MULTILINE_STRINGS: tuple[str, ...] = (
    "first line\nsecond line\u2028third\u2029fourth",
    "first line\nsecond line",
    "line separator\u2028in the middle",
    "paragraph\u2029separator",
    "mixed\r\nline\u2028ends\u2029here\n",
)

# Relative activity per local hour 0..23: quiet nights, busy evenings.
DIURNAL_WEIGHTS: tuple[int, ...] = (
    2,
    1,
    1,
    1,
    1,
    2,
    3,
    5,
    7,
    8,
    8,
    8,
    9,
    8,
    8,
    8,
    8,
    9,
    10,
    11,
    11,
    9,
    6,
    4,
)

# Relative events per weekday (Monday first); averages 1.0 over a week.
WEEKDAY_FACTORS: tuple[float, ...] = (1.05, 1.08, 1.06, 1.04, 1.0, 0.88, 0.89)

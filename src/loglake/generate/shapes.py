"""The query shapes of eight application databases: commands, plans and how often they run.

Each row of `_TABLE` is `key | app | planSummary | options | command`. The command is JSON in
which strings starting with `@` are values drawn for each query (see `_maker`). Options:
`w` relative frequency, `n` lo-hi documents returned, `ms` base duration, `sort` a blocking
sort, `disk` how often it spills to disk. A key ending in `.getMore` continues the cursor of
the shape it extends.
"""

# ruff: noqa: E501 - the table keeps one query shape per line

from __future__ import annotations

import json
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from loglake.generate.writer import Writer, dumps, iso

_TABLE = r"""
shop.orders.find.customer | orders | IXSCAN { customerId: 1, createdAt: -1 } | w=30 | {"find":"orders","filter":{"customerId":"@oid","status":"@status"},"sort":{"createdAt":-1},"limit":50}
shop.orders.find.status | orders | IXSCAN { status: 1 } | w=14 sort ms=250 n=20-100 | {"find":"orders","filter":{"status":"@status"},"sort":{"createdAt":-1},"limit":100}
shop.orders.find.city | orders | COLLSCAN | w=9 n=0-400 | {"find":"orders","filter":{"shipping.city":"@city","createdAt":{"$gte":"@date:1:30"}},"projection":{"_id":1,"total":1,"status":1}}
shop.orders.find.city.getMore | orders | = | w=3 n=50-2000 | {}
shop.orders.find.id | orders | IDHACK | w=6 n=1-1 ms=40 | {"find":"orders","filter":{"_id":"@oid"},"limit":1,"singleBatch":true}
shop.orders.aggregate.top_customers | orders | IXSCAN { status: 1, createdAt: -1 } | w=5 ms=900 sort disk=0.4 n=20-20 | {"aggregate":"orders","pipeline":[{"$match":{"status":"@pick:paid,delivered","createdAt":{"$gte":"@date:7:31"}}},{"$group":{"_id":"$customerId","total":{"$sum":"$total"},"n":{"$sum":1}}},{"$sort":{"total":-1}},{"$limit":20}],"allowDiskUse":true,"cursor":{}}
shop.orders.count.status | orders | COUNT_SCAN { status: 1 } | w=6 ms=120 n=1000-400000 | {"count":"orders","query":{"status":"@status"}}
shop.orders.update.status | orders | - | w=6 | {"update":"orders","updates":[{"q":{"_id":"@oid"},"u":{"$set":{"status":"@status","updatedAt":"@now"}},"multi":false,"upsert":false}],"ordered":true}
shop.orders.stmt_update.status | orders | IDHACK | w=7 n=1-1 | {"q":{"_id":"@oid"},"u":{"$set":{"status":"@status","updatedAt":"@now"}},"multi":false,"upsert":false}
shop.orders.stmt_update.expire | orders | IXSCAN { status: 1, createdAt: -1 } | w=1.5 n=10-3000 ms=400 | {"q":{"status":"pending","createdAt":{"$lt":"@date:2:3"}},"u":{"$set":{"status":"cancelled"}},"multi":true,"upsert":false}
shop.orders.insert.one | orders | - | w=5 n=1-1 ms=50 | {"insert":"orders","ordered":true}
shop.orders.fam.pay | orders | IDHACK | w=4 n=1-1 | {"findAndModify":"orders","query":{"_id":"@oid","status":"pending"},"update":{"$set":{"status":"paid","paidAt":"@now"}},"new":true}
shop.orders.distinct.status | mongosh | COLLSCAN | w=0.5 n=6-6 | {"distinct":"orders","key":"status","query":{"createdAt":{"$gte":"@date:1:7"}}}
shop.orders.find.items_sku | mongosh | COLLSCAN | w=0.8 n=0-20 | {"find":"orders","filter":{"items.sku":"@sku"},"limit":20}
shop.orders.createIndexes | mongosh | - | w=0.02 | {"createIndexes":"orders","indexes":[{"key":{"createdAt":-1},"name":"createdAt_-1"}]}
shop.customers.find.email | orders | IXSCAN { email: 1 } | w=8 n=0-1 ms=40 | {"find":"customers","filter":{"email":"@email"},"limit":1}
shop.customers.find.zip | orders | COLLSCAN | w=3 n=0-30 | {"find":"customers","filter":{"address.zip":"@code:%05d:1000:99999"},"projection":{"name":1,"email":1}}
shop.customers.find.name | compass | IXSCAN { lastName: 1 } | w=0.6 n=25-25 ms=300 | {"find":"customers","filter":{"lastName":{"$regularExpression":{"pattern":"^Sm","options":"i"}}},"sort":{"lastName":1},"limit":25}
shop.carts.fam.add_item | orders | IXSCAN { customerId: 1 } | w=6 n=1-1 | {"findAndModify":"carts","query":{"customerId":"@oid"},"update":{"$push":{"items":{"sku":"@sku","qty":"@int:1:5"}},"$set":{"updatedAt":"@now"}},"upsert":true,"new":true}
shop.carts.delete.stale | orders | - | w=0.8 ms=900 | {"delete":"carts","deletes":[{"q":{"updatedAt":{"$lt":"@date:14:30"}},"limit":0}],"ordered":true}
shop.products.find.category_price | catalog | IXSCAN { category: 1, price: 1 } | w=9 n=10-48 | {"find":"products","filter":{"category":"@category","price":{"$gte":"@money:1:50","$lte":"@money:50:500"}},"sort":{"price":1},"limit":48}
shop.products.find.name_regex | catalog | COLLSCAN | w=5 n=0-48 | {"find":"products","filter":{"name":{"$regex":"@pick:lamp,chair,vase,hose,kettle","$options":"i"},"active":true},"limit":48}
shop.products.aggregate.with_reviews | catalog | IXSCAN { _id: 1 } | w=3 ms=500 n=5-30 | {"aggregate":"products","pipeline":[{"$match":{"_id":{"$in":"@oids:5:30"}}},{"$lookup":{"from":"reviews","localField":"_id","foreignField":"productId","as":"reviews"}},{"$project":{"name":1,"price":1,"reviews.rating":1}}],"cursor":{}}
shop.reviews.find.product | catalog | IXSCAN { productId: 1, createdAt: -1 } | w=7 n=0-20 | {"find":"reviews","filter":{"productId":"@oid"},"sort":{"createdAt":-1},"limit":20}
shop.reviews.aggregate.rating | catalog | IXSCAN { productId: 1, createdAt: -1 } | w=4 n=1-1 | {"aggregate":"reviews","pipeline":[{"$match":{"productId":"@oid"}},{"$group":{"_id":"$productId","avg":{"$avg":"$rating"},"n":{"$sum":1}}}],"cursor":{}}
billing.invoices.find.account | billing | IXSCAN { accountId: 1, dueDate: 1 } | w=10 n=0-12 | {"find":"invoices","filter":{"accountId":"@account","status":{"$in":["open","overdue"]}},"sort":{"dueDate":1}}
billing.invoices.find.overdue | billing | IXSCAN { status: 1, dueDate: 1 } | w=4 n=100-500 ms=200 | {"find":"invoices","filter":{"status":"open","dueDate":{"$lt":"@date:0:1"}},"batchSize":500}
billing.invoices.aggregate.monthly | billing | COLLSCAN | w=2 disk=0.7 sort n=3-40 ms=1500 | {"aggregate":"invoices","pipeline":[{"$match":{"issuedAt":{"$gte":"@date:28:31","$lt":"@date:0:1"}}},{"$group":{"_id":{"y":{"$year":"$issuedAt"},"m":{"$month":"$issuedAt"},"currency":"$currency"},"total":{"$sum":"$amount"}}},{"$sort":{"_id.y":1,"_id.m":1}}],"allowDiskUse":true,"cursor":{"batchSize":101}}
billing.invoices.aggregate.monthly.getMore | billing | = | w=0.5 n=50-2000 | {}
billing.payments.insert.batch | billing | - | w=5 n=1-200 ms=40 | {"insert":"payments","ordered":false}
billing.payments.find.invoice | billing | IXSCAN { invoiceId: 1 } | w=6 n=0-3 ms=40 | {"find":"payments","filter":{"invoiceId":"@oid"}}
billing.payments.stmt_update.retry | billing | IDHACK | w=4 n=1-1 | {"q":{"_id":"@oid"},"u":{"$inc":{"attempts":1},"$set":{"status":"@pick:retrying,failed,captured"}},"multi":false,"upsert":false}
billing.subscriptions.find.renewals | billing | IXSCAN { state: 1, renewAt: 1 } | w=3 n=0-1000 ms=150 | {"find":"subscriptions","filter":{"state":"active","renewAt":{"$lte":"@date:0:1"}},"limit":1000}
billing.subscriptions.fam.version | billing | IDHACK | w=3 n=0-1 | {"findAndModify":"subscriptions","query":{"_id":"@oid","version":"@int:1:40"},"update":{"$set":{"state":"@pick:active,past_due,cancelled"},"$inc":{"version":1}},"new":true}
billing.ledger.aggregate.balance | billing | IXSCAN { accountId: 1, ts: -1 } | w=5 n=1-1 ms=200 | {"aggregate":"ledger","pipeline":[{"$match":{"accountId":"@account"}},{"$sort":{"ts":-1}},{"$group":{"_id":"$accountId","balance":{"$sum":"$delta"},"last":{"$first":"$ts"}}}],"cursor":{}}
billing.ledger.count.account | billing | COUNT_SCAN { accountId: 1, ts: -1 } | w=3 n=10-20000 | {"count":"ledger","query":{"accountId":"@account"}}
catalog.items.find.sku_in | catalog | IXSCAN { sku: 1 } | w=12 n=3-40 ms=40 | {"find":"items","filter":{"sku":{"$in":"@skus:3:40"}}}
catalog.items.find.attributes | catalog | COLLSCAN | w=5 n=0-200 | {"find":"items","filter":{"attributes.color":"@pick:red,black,white,green,blue","attributes.size":"@pick:S,M,L,XL"},"limit":200}
catalog.items.distinct.brand | catalog | DISTINCT_SCAN { category: 1, brand: 1 } | w=3 n=5-300 ms=80 | {"distinct":"items","key":"brand","query":{"category":"@category"}}
catalog.items.stmt_update.price | catalog | IXSCAN { sku: 1 } | w=6 n=1-1 | {"q":{"sku":"@sku"},"u":{"$set":{"price":"@money:1:900","priceUpdatedAt":"@now"}},"multi":false,"upsert":false}
catalog.categories.find.parent | catalog | COLLSCAN | w=2 sort n=0-40 ms=80 | {"find":"categories","filter":{"parentId":"@code:cat-%03d:0:300"},"sort":{"rank":1}}
catalog.prices.aggregate.lookup_items | catalog | IXSCAN { region: 1, validFrom: -1 } | w=2 ms=1200 n=100-2000 | {"aggregate":"prices","pipeline":[{"$match":{"region":"@region","validFrom":{"$lte":"@date:0:1"}}},{"$lookup":{"from":"items","localField":"sku","foreignField":"sku","as":"item"}},{"$unwind":"$item"},{"$project":{"sku":1,"amount":1,"item.name":1}}],"cursor":{}}
catalog.prices.find.sku | lambda | IXSCAN { sku: 1, region: 1 } | w=10 n=0-1 ms=30 | {"find":"prices","filter":{"sku":"@sku","region":"@region"},"limit":1}
inventory.stock.find.sku_wh | catalog | IXSCAN { sku: 1, warehouseId: 1 } | w=8 n=0-1 ms=30 | {"find":"stock","filter":{"sku":"@sku","warehouseId":"@warehouse"}}
inventory.stock.stmt_update.decrement | catalog | IXSCAN { sku: 1, warehouseId: 1 } | w=7 n=0-1 | {"q":{"sku":"@sku","warehouseId":"@warehouse","qty":{"$gte":"@int:1:5"}},"u":{"$inc":{"qty":"@int:-5:-1"}},"multi":false,"upsert":false}
inventory.stock.aggregate.low | logistics | COLLSCAN | w=2 n=4-4 | {"aggregate":"stock","pipeline":[{"$match":{"qty":{"$lt":"@int:1:20"}}},{"$group":{"_id":"$warehouseId","skus":{"$sum":1}}}],"cursor":{}}
inventory.movements.insert.batch | logistics | - | w=4 n=1-50 ms=40 | {"insert":"movements","ordered":true}
inventory.movements.find.sku_range | logistics | IXSCAN { sku: 1, ts: -1 } | w=4 n=0-300 | {"find":"movements","filter":{"sku":"@sku","ts":{"$gte":"@date:7:30"}},"sort":{"ts":-1}}
inventory.movements.stmt_remove.old | logistics | IXSCAN { ts: 1 } | w=0.7 n=100-40000 ms=800 | {"q":{"ts":{"$lt":"@date:365:366"}},"limit":0}
users.accounts.find.email | auth | IXSCAN { email: 1 } | w=14 n=0-1 ms=30 | {"find":"accounts","filter":{"email":"@email"},"limit":1}
users.accounts.find.id | prisma | IDHACK | w=6 n=1-1 ms=30 | {"find":"accounts","filter":{"_id":"@oid"},"projection":{"passwordHash":0},"limit":1}
users.accounts.aggregate.id_in | prisma | COLLSCAN | w=4 n=2-25 | {"aggregate":"accounts","pipeline":[{"$match":{"$expr":{"$in":["$_id","@oids:2:25"]}}},{"$project":{"_id":1,"displayName":1,"avatar":1}}],"cursor":{}}
users.accounts.count.since | compass | COLLSCAN | w=0.4 n=1-1 | {"count":"accounts","query":{"createdAt":{"$gte":"@date:1:90"}}}
users.sessions.find.token | auth | IXSCAN { token: 1 } | w=16 n=0-1 ms=30 | {"find":"sessions","filter":{"token":"@code:tok_%012d:0:999999999999"},"limit":1}
users.sessions.delete.expired | auth | - | w=1 ms=600 | {"delete":"sessions","deletes":[{"q":{"expiresAt":{"$lt":"@date:0:1"}},"limit":0}],"ordered":true}
users.sessions.stmt_update.touch | auth | IDHACK | w=8 n=1-1 | {"q":{"_id":"@oid"},"u":{"$set":{"lastSeen":"@now"}},"multi":false,"upsert":false}
users.audit.insert.batch | auth | - | w=3 n=1-20 ms=40 | {"insert":"audit","ordered":false}
users.audit.find.user_action | mongosh | COLLSCAN | w=0.6 sort n=0-100 | {"find":"audit","filter":{"userId":"@oid","action":"@pick:login,password_reset,delete_account"},"sort":{"ts":-1},"limit":100}
analytics.events.aggregate.by_user | etl | IXSCAN { type: 1, ts: 1 } | w=3 ms=2500 sort disk=0.6 n=100-100 | {"aggregate":"events","pipeline":[{"$match":{"type":"@pick:page_view,click,purchase,signup","ts":{"$gte":"@date:1:2","$lt":"@date:0:1"}}},{"$group":{"_id":"$userId","n":{"$sum":1}}},{"$sort":{"n":-1}},{"$limit":100}],"allowDiskUse":true,"cursor":{}}
analytics.events.aggregate.daily | etl | COLLSCAN | w=1 ms=5000 sort disk=0.9 n=4-40 | {"aggregate":"events","pipeline":[{"$match":{"ts":{"$gte":"@date:1:2"}}},{"$group":{"_id":{"day":{"$dateToString":{"format":"%Y-%m-%d","date":"$ts"}},"type":"$type"},"n":{"$sum":1}}},{"$sort":{"_id.day":1}}],"allowDiskUse":true,"cursor":{}}
analytics.events.aggregate.daily.getMore | etl | = | w=0.4 n=50-2000 | {}
analytics.events.find.session | etl | IXSCAN { sessionId: 1 } | w=4 n=1-200 | {"find":"events","filter":{"sessionId":"@uuid"},"sort":{"ts":1}}
analytics.events.insert.batch | etl | - | w=4 n=100-1000 ms=150 | {"insert":"events","ordered":false}
analytics.daily_stats.stmt_update.upsert | etl | IXSCAN { day: 1, metric: 1 } | w=4 n=0-1 | {"q":{"day":"@code:2024-03-%02d:1:28","metric":"@pick:views,orders,signups"},"u":{"$inc":{"value":"@int:1:500"}},"multi":false,"upsert":true}
analytics.funnels.aggregate.lookup | compass | COLLSCAN | w=0.3 ms=8000 n=1-1 | {"aggregate":"funnels","pipeline":[{"$match":{"name":"@pick:checkout,signup,onboarding"}},{"$lookup":{"from":"events","let":{"steps":"$steps"},"pipeline":[{"$match":{"$expr":{"$in":["$type","$$steps"]}}},{"$count":"n"}],"as":"counts"}}],"cursor":{}}
analytics.events.aggregate.sample | compass | COLLSCAN | w=0.3 n=1000-1000 | {"aggregate":"events","pipeline":[{"$match":{}},{"$limit":1000}],"cursor":{}}
logistics.shipments.find.order | logistics | IXSCAN { orderId: 1 } | w=8 n=0-2 ms=30 | {"find":"shipments","filter":{"orderId":"@oid"}}
logistics.shipments.find.late | logistics | IXSCAN { status: 1 } | w=3 sort n=0-500 ms=300 | {"find":"shipments","filter":{"status":"in_transit","carrier":"@pick:DHL,UPS,FedEx,PostNL","eta":{"$lt":"@date:0:2"}},"sort":{"eta":1},"limit":500}
logistics.shipments.aggregate.carrier | logistics | COLLSCAN | w=1 n=10-40 ms=300 | {"aggregate":"shipments","pipeline":[{"$match":{"createdAt":{"$gte":"@date:1:7"}}},{"$group":{"_id":{"carrier":"$carrier","status":"$status"},"n":{"$sum":1}}}],"cursor":{}}
logistics.tracking.find.latest | logistics | IXSCAN { shipmentId: 1, ts: -1 } | w=9 n=0-1 ms=30 | {"find":"tracking","filter":{"shipmentId":"@oid"},"sort":{"ts":-1},"limit":1}
logistics.tracking.insert.batch | logistics | - | w=5 n=1-20 ms=40 | {"insert":"tracking","ordered":true}
logistics.routes.find.near | logistics | IXSCAN { stops.geo: "2dsphere" } | w=2 n=0-50 ms=200 | {"find":"routes","filter":{"stops.geo":{"$geoWithin":{"$centerSphere":[["@money:-10:30","@money:35:60"],0.0025]}}},"limit":50}
cms.pages.find.slug | cms | IXSCAN { slug: 1, locale: 1 } | w=8 n=0-1 ms=30 | {"find":"pages","filter":{"slug":"@code:page-%05d:0:85000","locale":"@pick:en,de,fr,es,ja"},"limit":1}
cms.pages.find.tags | cms | COLLSCAN | w=3 sort n=0-20 | {"find":"pages","filter":{"tags":{"$all":"@picks:1:3:news,sale,howto,garden,recipes"},"published":true},"sort":{"publishedAt":-1},"limit":20}
cms.pages.find.covered | cms | IXSCAN { locale: 1, slug: 1 } | w=1 n=500-20000 ms=100 | {"find":"pages","filter":{"locale":"@pick:en,de,fr"},"projection":{"_id":0,"locale":1,"slug":1}}
cms.comments.find.page | cms | IXSCAN { pageId: 1, createdAt: -1 } | w=5 n=0-20 | {"find":"comments","filter":{"pageId":"@oid","hidden":false},"sort":{"createdAt":-1},"skip":"@int:0:200","limit":20}
cms.comments.aggregate.authors | cms | IXSCAN { pageId: 1, createdAt: -1 } | w=2 n=0-50 ms=150 | {"aggregate":"comments","pipeline":[{"$match":{"pageId":"@oid"}},{"$lookup":{"from":"authors","localField":"authorId","foreignField":"_id","as":"author"}},{"$unwind":"$author"},{"$sort":{"createdAt":-1}},{"$limit":50}],"cursor":{}}
cms.assets.stmt_remove.one | cms | IDHACK | w=1 n=1-1 | {"q":{"_id":"@oid"},"limit":1}
"""

_COLLS = {  # namespace: (documents, average document bytes)
    "shop.orders": (4_800_000, 1400), "shop.customers": (900_000, 900), "shop.carts": (350_000, 700),
    "shop.products": (120_000, 2100), "shop.reviews": (2_600_000, 600),
    "billing.invoices": (3_100_000, 1100), "billing.payments": (5_400_000, 500),
    "billing.subscriptions": (410_000, 650), "billing.ledger": (22_000_000, 300),
    "catalog.items": (640_000, 1800), "catalog.categories": (4_200, 400), "catalog.prices": (1_900_000, 250),
    "inventory.stock": (1_100_000, 300), "inventory.movements": (38_000_000, 260),
    "users.accounts": (1_700_000, 800), "users.sessions": (2_300_000, 350), "users.audit": (61_000_000, 420),
    "analytics.events": (240_000_000, 380), "analytics.daily_stats": (1_300_000, 220),
    "analytics.funnels": (900, 1500), "logistics.shipments": (3_900_000, 950),
    "logistics.tracking": (57_000_000, 280), "logistics.routes": (48_000, 5200),
    "cms.pages": (85_000, 9000), "cms.comments": (1_400_000, 520), "cms.assets": (300_000, 610),
}  # fmt: skip
_NAMED = {  # "@name" values: choices, most frequent first
    "status": ("paid", "shipped", "pending", "delivered", "cancelled", "refunded"),
    "city": ("São Paulo", "Zürich", "Lyon", "Austin", "Osaka", "Kraków", "Nairobi", "Toronto"),
    "category": ("garden", "kitchen", "toys", "books", "outdoor"),
    "region": ("eu", "us", "apac"),
    "warehouse": ("WH-AMS", "WH-FRA", "WH-DFW", "WH-NRT"),
}
_FIRST = ("anna", "li", "omar", "sofia", "jan", "maria", "kenji", "fatima", "lucas", "emma")
_LAST = ("smith", "garcia", "muller", "rossi", "chen", "kowalski", "silva", "dubois")


@dataclass(eq=False)
class Shape:
    """A query shape: a command template with its plan, frequency and cost model."""

    key: str
    app: str
    op: str  # find aggregate count distinct update delete stmt_update stmt_remove insert fam getMore createIndexes
    db: str
    ns: str
    fmt: str  # the command as a %-template without its closing brace
    vals: list[Callable[[], str]]
    plan: str  # planSummary, JSON-escaped; "" for commands without a plan
    weight: float
    nret: tuple[int, int]
    ms: float
    sort: bool
    disk: float
    ndocs: int
    size: int
    qh: str = ""  # queryHash / planCacheShapeHash
    pck: str = ""  # planCacheKey
    qsh: str = ""  # queryShapeHash (8.0)
    orig: Shape | None = None  # the shape a getMore continues
    covered: bool = False


def _hex8(text: str) -> str:
    return f"{zlib.crc32(text.encode()):08X}"


def build_shapes(w: Writer) -> list[Shape]:
    """The shapes of the table, with value makers drawing from the writer's random source."""
    shapes: dict[str, Shape] = {}
    vals: list[Callable[[], str]]
    for line in _TABLE.strip().splitlines():
        key, app, plan, opts, body = (f.strip() for f in line.split(" | "))
        parts = key.split(".")
        db, coll, op = parts[0], parts[1], parts[2]
        options = dict(o.partition("=")[::2] for o in opts.split())
        lo, _, hi = options.get("n", "0-50").partition("-")
        ndocs, size = _COLLS[f"{db}.{coll}"]
        if key.endswith(".getMore"):
            orig = shapes[key.removesuffix(".getMore")]
            fmt, vals, plan = (
                '{"getMore":%s,"collection":"' + coll + '","batchSize":1000',
                [],
                orig.plan,
            )
        else:
            orig, vals = None, []
            fmt = _template(json.loads(body), vals, w)[:-1]
            plan = "" if plan == "-" else plan
        sh = Shape(
            key, app, "getMore" if orig else op, db,
            f"{db}.$cmd" if op in ("update", "delete") else f"{db}.{coll}",
            fmt, vals, dumps(plan)[1:-1], float(options.get("w", 1)), (int(lo), int(hi)),
            float(options.get("ms", 60)), "sort" in options, float(options.get("disk", 0)),
            ndocs, size, orig=orig, covered=key.endswith(".covered"),
        )  # fmt: skip
        if orig is not None:
            sh.qh, sh.pck, sh.qsh = orig.qh, orig.pck, orig.qsh
        elif plan:
            sh.qh = _hex8(f"shape:{db}.{coll}:{op}:{_shape_of(json.loads(body))}")
            sh.pck = _hex8(f"plan:{key}:{plan}")
            sh.qsh = "".join(_hex8(f"{i}:{sh.qh}") for i in range(8))
        shapes[key] = sh
    return list(shapes.values())


def _shape_of(body: Any) -> str:
    """The structure of a command with each value replaced by `?`, for its queryHash."""
    if isinstance(body, dict):
        return "{" + ",".join(f"{k}:{_shape_of(v)}" for k, v in body.items()) + "}"
    if isinstance(body, list):
        return "[" + ",".join(_shape_of(v) for v in body) + "]"
    return "?"


def _template(obj: Any, out: list[Callable[[], str]], w: Writer) -> str:
    """Render a command to a %-template, with %s where its `@` values go."""
    if isinstance(obj, str) and obj.startswith("@"):
        out.append(_maker(obj[1:], w))
        return "%s"
    if isinstance(obj, dict):
        return "{" + ",".join(dumps(k) + ":" + _template(v, out, w) for k, v in obj.items()) + "}"
    if isinstance(obj, list):
        return "[" + ",".join(_template(v, out, w) for v in obj) + "]"
    return dumps(obj).replace("%", "%%")


def _maker(spec: str, w: Writer) -> Callable[[], str]:
    """A function returning the JSON text of a fresh value for an `@` placeholder."""
    rr = w.rr
    name, _, arg = spec.partition(":")
    args = arg.split(":") if arg else []
    if name in _NAMED or name == "pick":
        texts = [dumps(c) for c in (_NAMED[name] if name in _NAMED else args[0].split(","))]
        n = len(texts)
        return lambda: texts[int(n * rr() * rr())]  # skewed towards the first
    if name == "picks":
        texts = [dumps(c) for c in args[2].split(",")]
        lo, hi, n = int(args[0]), int(args[1]), len(texts)
        return lambda: (
            "["
            + ",".join(texts[int(n * rr())] for _ in range(lo + int((hi - lo + 1) * rr())))
            + "]"
        )
    if name == "oid":
        return lambda: '{"$oid":"' + w.oid_hex() + '"}'
    if name == "oids":
        lo, hi = int(args[0]), int(args[1])
        return lambda: (
            "["
            + ",".join(
                '{"$oid":"' + w.oid_hex() + '"}' for _ in range(lo + int((hi - lo + 1) * rr()))
            )
            + "]"
        )
    if name in ("date", "now"):
        lo_d, hi_d = (float(args[0]), float(args[1])) if args else (0.0, 0.0)
        return lambda: (
            '{"$date":"' + iso(w.now_ms - int((lo_d + (hi_d - lo_d) * rr()) * 86_400_000)) + '"}'
        )
    if name == "int":
        lo, hi = int(args[0]), int(args[1])
        return lambda: str(lo + int((hi - lo + 1) * rr()))
    if name == "money":
        lo_f, hi_f = float(args[0]), float(args[1])
        return lambda: f"{lo_f + (hi_f - lo_f) * rr():.2f}"
    if name in ("code", "sku", "account"):
        fmt, lo, hi = {"sku": ("SKU-%06d", 0, 999_999), "account": ("ACC-%07d", 0, 2_000_000)}.get(
            name, (args[0], int(args[1]), int(args[2])) if args else ("", 0, 0)
        )
        return lambda: '"' + fmt % (lo + int((hi - lo) * rr())) + '"'
    if name == "skus":
        lo, hi = int(args[0]), int(args[1])
        return lambda: (
            "["
            + ",".join(
                f'"SKU-{int(rr() * 1e6):06d}"' for _ in range(lo + int((hi - lo + 1) * rr()))
            )
            + "]"
        )
    if name == "email":
        return lambda: (
            f'"{_FIRST[int(10 * rr())]}.{_LAST[int(8 * rr())]}{int(rr() * 9999)}@example.com"'
        )
    if name == "uuid":
        return lambda: '{"$uuid":"' + w.uuid() + '"}'
    raise ValueError(f"unknown value @{spec} in the query-shape table")

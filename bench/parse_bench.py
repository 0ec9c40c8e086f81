"""Parser benchmark: ``python -m bench.parse_bench`` prints throughput, index build time and memory.

A generated catalog of 10,000 variants (1,000 products) and a realistic message mix: 90% chatter
(reactions, emoji, questions to the host, product talk that is not a claim) and 10% commands
(comment-selling claims, prefixed commands, natural buys and questions in five languages).
Targets (issue 3, one core): >= 100,000 chatter msgs/s, >= 20,000 commands/s, index build for
10,000 variants < 1 s, index memory < 50 MB.
"""

from __future__ import annotations

import argparse
import gc
import random
import statistics
import time
import tracemalloc
from typing import Any

from chat_commands.catalog import load_products_json
from chat_commands.config import ParserConfig
from chat_commands.index import CatalogIndex
from chat_commands.language import load_config_languages
from chat_commands.parse import ParseContext, parse

ADJECTIVES = [
    "Classic",
    "Cozy",
    "Everyday",
    "Vintage",
    "Urban",
    "Studio",
    "Coastal",
    "Alpine",
    "Retro",
    "Soft",
    "Bold",
    "Essential",
    "Weekend",
    "Signature",
    "Heritage",
    "Luxe",
    "Summer",
    "Winter",
    "Relaxed",
    "Slim",
]
MATERIALS = [
    "Cotton",
    "Linen",
    "Fleece",
    "Wool",
    "Denim",
    "Silk",
    "Knit",
    "Canvas",
    "Leather",
    "Bamboo",
]
NOUNS = [
    "Tee",
    "Hoodie",
    "Scarf",
    "Jacket",
    "Tote",
    "Cap",
    "Beanie",
    "Leggings",
    "Mug",
    "Pillowcase",
    "Sweater",
    "Shorts",
    "Dress",
    "Skirt",
    "Socks",
    "Blanket",
    "Candle",
    "Backpack",
    "Jogger",
    "Cardigan",
]
SIZES = ("XS", "S", "M", "L", "XL", "XXL")
COLORS = [
    "Black",
    "White",
    "Red",
    "Navy",
    "Grey",
    "Forest Green",
    "Pink",
    "Plum",
    "Camel",
    "Charcoal",
    "Burgundy",
    "Ivory",
    "Sage",
    "Blush",
    "Mustard",
    "Coral",
    "Olive",
    "Sand",
    "Teal",
    "Lilac",
]

CHATTER = [
    "lol",
    "hi from Texas!",
    "love this stream",
    "😍😍😍",
    "that color is gorgeous",
    "wow",
    "first time watching!",
    "can you show the back?",
    "turn around please",
    "how are you today?",
    "where are you streaming from?",
    "I sold my car lol",
    "that hoodie looks so good",
    "mine is the same colour",
    "my size is usually a medium",
    "omg",
    "so cute",
    "brb",
    "good morning from London ☕",
    "you guys are the best",
    "😂😂😂😂",
    "is this live?",
    "what song is this?",
    "the red looks amazing on you",
    "hola desde Colombia!",
    "jajaja",
    "boa noite gente",
    "kkkkkk",
    "coucou de Lyon",
    "hallo aus Berlin",
    "haha same",
    "ok",
    "my sister has the scarf in camel",
    "I bought the hoodie last week and it's so soft",
    "can't wait for the next drop",
    "thanks for going live!",
    "love the energy today!!",
    "who won the giveaway?",
    "check out my channel!!",
    "gm everyone ☀️",
    "👍",
    "this is fire 🔥",
    "I need sleep lol",
    "the models are so pretty",
    "shipping was super fast last time",
    "that tee would look great with jeans",
    "is that your dog in the background?",
    "me encanta el rojo",
    "que lindo esse moletom",
    "j'adore cette couleur",
    "zu teuer",
    "@host you look great today",
    "/me waves",
    "just joined, what did I miss?",
    "hi mom",
    "my cat wants the tote lol",
    "the beanie looks cozy",
    "can you say hi to my mom",
]


def build_catalog(seed: int = 7, products: int = 1_000) -> dict[str, Any]:
    """A Shopify products.json document with ``products`` x 10 variants."""
    rng = random.Random(seed)
    titles = [f"{a} {m} {n}" for a in ADJECTIVES for m in MATERIALS for n in NOUNS]
    rng.shuffle(titles)
    items = []
    next_variant = 1
    for number, title in enumerate(titles[:products]):
        sizes = rng.sample(SIZES, 5)
        colors = rng.sample(COLORS, 2)
        handle = title.lower().replace(" ", "-")
        variants = []
        for size in sizes:
            for color in colors:
                variants.append(
                    {
                        "id": 50_000_000 + next_variant,
                        "sku": f"P{number}-{size}-{color[:3].upper()}",
                        "title": f"{size} / {color}",
                        "option1": size,
                        "option2": color,
                        "price": f"{rng.randint(10, 120)}.00",
                        "inventory_quantity": rng.randint(0, 20),
                    }
                )
                next_variant += 1
        items.append(
            {
                "id": 9_000_000 + number,
                "handle": handle,
                "title": title,
                "tags": f"generated, live:{1000 + number}",
                "options": [{"name": "Size", "values": sizes}, {"name": "Color", "values": colors}],
                "variants": variants,
            }
        )
    return {"products": items}


def commands_for(catalog: dict[str, Any], count: int, seed: int = 11) -> list[str]:
    """Realistic command messages against ``catalog``."""
    rng = random.Random(seed)
    products = catalog["products"]
    templates = (
        "SOLD {code} {size} {color}",
        "sold {code} {size} x2",
        "{code} {size} {color}",
        "!buy {code} {size} {color}",
        "!buy {title} {size}",
        "I'll take the {title} in {color}, size {size}",
        "can I get 2 of the {title}",
        "how much is the {title}?",
        "is {size} still available?",
        "!price {code}",
        "quiero {code} talla {size} {color}",
        "eu quero {code} {size}",
        "je prends le {code} en {size}",
        "ich nehme {code} in {size}",
        "sold",
        "+1",
        "{size} {color}",
        "what colours does the {title} come in",
    )
    out = []
    for _ in range(count):
        product = rng.choice(products)
        variant = rng.choice(product["variants"])
        out.append(
            rng.choice(templates).format(
                code=product["tags"].split("live:")[1],
                title=product["title"],
                size=variant["option1"],
                color=variant["option2"],
            )
        )
    return out


def rate(messages: list[str], context: ParseContext, repeat: int = 3) -> tuple[float, float]:
    """Best-of-``repeat`` messages per second: (per CPU second of this process, per wall second).

    The CPU-time figure is the one-core throughput even when other processes share the
    machine; the wall-clock figure is what this run saw.
    """
    best_cpu = best_wall = 0.0
    for _ in range(repeat):
        gc.disable()
        wall = time.perf_counter()
        cpu = time.process_time()
        for text in messages:
            parse(text, context)
        cpu = time.process_time() - cpu
        wall = time.perf_counter() - wall
        gc.enable()
        best_cpu = max(best_cpu, len(messages) / max(cpu, 1e-9))
        best_wall = max(best_wall, len(messages) / wall)
    return best_cpu, best_wall


# Inputs that once were, or could be, slow paths (the property tests check they parse; this
# measures how long they take): long repeats, long runs without spaces, emoji, control text.
WORST_CASES = [
    "sold " * 2000,
    "a" * 10_000,
    "the " * 400 + "CT-101-M-RED",
    "101 L black " * 200,
    "\U0001f469\u200d\U0001f469\u200d\U0001f467" * 300,
    "+" * 500,
    "x" * 3 + "9" * 400,
    "i'll take the hoodie M black x2 please " * 50,
    "how much is the " * 100 + "?",
]


def worst_case(context: ParseContext, repeat: int = 200) -> tuple[str, float]:
    """The slowest of ``WORST_CASES``: its first chars and its mean CPU time per parse."""
    worst = ("", 0.0)
    for text in WORST_CASES:
        start = time.process_time()
        for _ in range(repeat):
            parse(text, context)
        per = (time.process_time() - start) / repeat
        worst = max(worst, (text[:24], per), key=lambda w: w[1])
    return worst


def main() -> None:
    """Run the benchmark and print its figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=200_000, help="messages in the mix")
    args = parser.parse_args()

    config = ParserConfig()
    languages = load_config_languages(config)
    document = build_catalog()
    products = load_products_json(document)
    variants = sum(len(p.variants) for p in products)

    builds = []
    for _ in range(3):
        start = time.perf_counter()
        CatalogIndex.build(products, language_data=languages)
        builds.append(time.perf_counter() - start)
    gc.collect()
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    index = CatalogIndex.build(products, language_data=languages)
    gc.collect()
    memory = tracemalloc.get_traced_memory()[0] - before
    tracemalloc.stop()

    featured = products[0].handle
    context = ParseContext(
        index=index, featured=featured, languages=config.languages, config=config
    )
    rng = random.Random(3)
    n_commands = args.messages // 10
    chatter = [rng.choice(CHATTER) for _ in range(args.messages - n_commands)]
    commands = commands_for(document, n_commands)
    mix = chatter + commands
    rng.shuffle(mix)
    for text in mix[:2000]:  # warm caches (lexicon per language set)
        parse(text, context)

    chatter_cpu, chatter_wall = rate(chatter, context)
    command_cpu, command_wall = rate(commands, context)
    mix_cpu, mix_wall = rate(mix, context, repeat=1)
    intents: dict[str, int] = {}
    for text in commands:
        kind = parse(text, context).intent
        intents[kind] = intents.get(kind, 0) + 1

    print(f"catalog: {len(products):,} products, {variants:,} variants")
    print(f"index build: {statistics.median(builds) * 1000:,.0f} ms (median of 3; target < 1000)")
    print(f"index memory: {memory / 1e6:,.1f} MB (tracemalloc; target < 50)")
    print(
        f"chatter: {chatter_cpu:,.0f} msgs/s per CPU-second "
        f"({chatter_wall:,.0f} wall; target >= 100,000)"
    )
    print(
        f"commands: {command_cpu:,.0f} msgs/s per CPU-second "
        f"({command_wall:,.0f} wall; target >= 20,000)"
    )
    print(
        f"mix 90/10: {mix_cpu:,.0f} msgs/s per CPU-second ({mix_wall:,.0f} wall) "
        f"over {len(mix):,} messages"
    )
    slow_text, slow_seconds = worst_case(context)
    print(f"worst case: {slow_seconds * 1000:,.2f} ms CPU per message ({slow_text!r}...)")
    print("command intents:", ", ".join(f"{k}={v}" for k, v in sorted(intents.items())))


if __name__ == "__main__":
    main()

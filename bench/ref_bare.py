"""Reference app for bench/storefront.py: bare Flask, whose ``/`` answers a short string.

What gunicorn, Flask and wrk cost with no work at all: the ceiling for a page served from a cache.
Served as ``gunicorn -w 2 -b 127.0.0.1:PORT bench.ref_bare:app`` (from the project root).
"""
from flask import Flask

app = Flask(__name__)


@app.get("/")
def hello() -> str:
    return "Hello"

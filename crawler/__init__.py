"""The gatherer: a Scrapy project that fetches pages and links and streams facts into the store."""

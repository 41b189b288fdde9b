"""The IPv6 gatherer: DNS client, prober and the stage that runs them after the crawl."""

"""Local fakes of the services StoreChat talks to, served on 127.0.0.1 only."""

"""The post-delivery satisfaction survey: scheduled on delivery (schedule), sent when due
by the housekeeping sweep (send), answered from the shopper's list reply (answers), and
counted for the owner (stats)."""

"""BHYT: card rules, benefit levels, co-payment, the BHXH gateway client and its simulator."""

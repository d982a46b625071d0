SELECT * FROM penguins
WHERE bill_length_mm = 'long' OR sex IN ('MALE', 3)
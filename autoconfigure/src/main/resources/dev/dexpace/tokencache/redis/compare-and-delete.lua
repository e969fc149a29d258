-- Delete KEYS[1] only while it still holds exactly ARGV[1]; returns 1 if deleted, else 0.
-- The caller read ARGV[1], checked that it holds the rejected token, and asks the server
-- to delete it only if no other instance has replaced it since.
if redis.call('GET', KEYS[1]) == ARGV[1] then
	return redis.call('DEL', KEYS[1])
end
return 0

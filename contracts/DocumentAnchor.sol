// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

/**
 * @title DocumentAnchor
 * @notice Records the first anchoring of a Merkle root (RFC 9162 tree of document multihashes) so
 * that anyone can later prove a document existed at that block, with one `eth_call` and no log scan.
 *
 * @dev One storage slot per root, packed as
 * `submitter (bits 0..159) | timestamp (160..191) | blockNumber (192..223) | treeSize (224..255)`,
 * so an anchor costs the same whatever the batch size. Anchoring is permissionless: the record
 * proves existence at a time, not who vouches for it; a verifier that cares compares `submitter`.
 *
 * Limits of the 32-bit fields: timestamps up to 2^32 - 1 (7 February 2106) and block numbers up
 * to 2^32 - 1 (about 1,600 years of 12 s blocks, or 136 years at 1 block per second). Beyond
 * them `anchor` reverts instead of silently truncating; a successor contract would be needed.
 */
contract DocumentAnchor {
    /// @notice The root was zero, which is never the hash of a real tree.
    error ZeroRoot();

    /// @notice The tree size was zero: an empty batch is never anchored.
    error ZeroTreeSize();

    /// @notice `block.timestamp` no longer fits in 32 bits (after 7 February 2106).
    error TimestampOutOfRange(uint256 timestamp);

    /// @notice `block.number` no longer fits in 32 bits.
    error BlockNumberOutOfRange(uint256 blockNumber);

    /**
     * @notice Emitted once per root, when it is first anchored.
     * @param root The Merkle tree head (indexed, so a root's transaction can be found by topic).
     * @param submitter The account that anchored it first.
     * @param treeSize The number of leaves in the tree.
     * @param blockNumber The block that holds the anchoring.
     * @param timestamp That block's timestamp (seconds since the Unix epoch).
     */
    event RootAnchored(
        bytes32 indexed root,
        address indexed submitter,
        uint32 treeSize,
        uint32 blockNumber,
        uint32 timestamp
    );

    uint256 private constant _TIMESTAMP_SHIFT = 160;
    uint256 private constant _BLOCK_NUMBER_SHIFT = 192;
    uint256 private constant _TREE_SIZE_SHIFT = 224;

    /// @dev root => packed anchoring; zero means "not anchored" (a submitter is never address(0)).
    mapping(bytes32 root => uint256 packed) private _anchorings;

    /**
     * @notice Anchors `root`, a Merkle tree head over `treeSize` leaves, at the current block.
     * @dev Only the first anchoring of a root is kept. Re-anchoring changes nothing, emits nothing
     * and does not revert, so that a retried or duplicated anchoring transaction is harmless.
     * @param root The tree head; must not be zero.
     * @param treeSize The number of leaves; must not be zero.
     * @return anchored True when this call anchored the root, false when it was already anchored.
     */
    function anchor(bytes32 root, uint32 treeSize) external returns (bool anchored) {
        if (root == bytes32(0)) revert ZeroRoot();
        if (treeSize == 0) revert ZeroTreeSize();
        if (_anchorings[root] != 0) return false;
        if (block.timestamp > type(uint32).max) revert TimestampOutOfRange(block.timestamp);
        if (block.number > type(uint32).max) revert BlockNumberOutOfRange(block.number);

        _anchorings[root] =
            uint256(uint160(msg.sender)) |
            (block.timestamp << _TIMESTAMP_SHIFT) |
            (block.number << _BLOCK_NUMBER_SHIFT) |
            (uint256(treeSize) << _TREE_SIZE_SHIFT);
        emit RootAnchored(root, msg.sender, treeSize, uint32(block.number), uint32(block.timestamp));
        return true;
    }

    /**
     * @notice Returns the first anchoring of `root`, or all zeros when it was never anchored.
     * @param root The tree head to look up.
     * @return timestamp The anchoring block's timestamp (0 when not anchored).
     * @return blockNumber The anchoring block's number (0 when not anchored).
     * @return treeSize The number of leaves given at anchoring (0 when not anchored).
     * @return submitter The account that anchored it first (address(0) when not anchored).
     */
    function anchorOf(
        bytes32 root
    ) external view returns (uint32 timestamp, uint32 blockNumber, uint32 treeSize, address submitter) {
        uint256 packed = _anchorings[root];
        submitter = address(uint160(packed));
        timestamp = uint32(packed >> _TIMESTAMP_SHIFT);
        blockNumber = uint32(packed >> _BLOCK_NUMBER_SHIFT);
        treeSize = uint32(packed >> _TREE_SIZE_SHIFT);
    }
}
